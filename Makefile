# Thin front of the Meson build: make, make test, make bench, make demo.
BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps test bench demo clean asan

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	@command -v meson >/dev/null || ./scripts/install-deps.sh
	meson setup $(BUILD) $(MESON_OPTS)

deps:
	./scripts/install-deps.sh

test: all
	./tests/run.sh

bench: all
	./bench/run.sh

demo: all
	./scripts/demo.sh

asan:
	$(MAKE) BUILD=build-asan MESON_OPTS="-Db_sanitize=address,undefined -Db_lundef=false"

clean:
	rm -rf $(BUILD) build-asan
