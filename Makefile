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

# Every rewrite mode, and the %fs path of hosts without FSGSBASE forced on
# (PEGASUS_FSGSBASE=0: the next machine may lack it); zpoline only where
# page 0 can be mapped (root, or vm.mmap_min_addr=0): elsewhere its cases
# are reported skipped.
NOFSGS = PEGASUS_FSGSBASE=0
test: all
	@if $(BUILD)/pegasus run --rewrite=zpoline -- /bin/true 2>/dev/null; then \
		PEGASUS_MODES="$${PEGASUS_MODES-;--rewrite=off;--rewrite=zpoline;$(NOFSGS);$(NOFSGS) --rewrite=off}" ./tests/run.sh; \
	else \
		echo "SKIP all [zpoline]: page 0 cannot be mapped here (not root, vm.mmap_min_addr > 0)"; \
		PEGASUS_MODES="$${PEGASUS_MODES-;--rewrite=off;$(NOFSGS);$(NOFSGS) --rewrite=off}" ./tests/run.sh; \
	fi

bench: all
	./bench/run.sh

demo: all
	./scripts/demo.sh

asan:
	$(MAKE) BUILD=build-asan MESON_OPTS="-Db_sanitize=address,undefined -Db_lundef=false"

clean:
	rm -rf $(BUILD) build-asan
