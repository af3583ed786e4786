# Thin front of the Meson build: make, make test, make bench, make demo.
BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps test bench demo clean asan

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The first configure installs what is missing (a no-op when all is there).
$(BUILD)/build.ninja:
	./scripts/install-deps.sh
	meson setup $(BUILD) $(MESON_OPTS)

deps:
	./scripts/install-deps.sh

# Every mode this host can run (scripts/test-modes.sh: each rewrite mode,
# and the %fs path of hosts without FSGSBASE forced on).
test: all
	@modes=$$(./scripts/test-modes.sh $(BUILD)/pegasus) && \
		PEGASUS_MODES="$${PEGASUS_MODES-$$modes}" ./tests/run.sh

bench: all
	./bench/run.sh

demo: all
	./scripts/demo.sh

asan:
	$(MAKE) BUILD=build-asan MESON_OPTS="-Db_sanitize=address,undefined -Db_lundef=false"

clean:
	rm -rf $(BUILD) build-asan
