# rackpilot — common tasks. `make demo` and `make test` work on a fresh clone (Node 20).
.PHONY: all deps build sea proto proto-check lint typecheck test demo bench clean tools

NODE ?= node
BIN := node_modules/.bin

all: build

# Dependencies from the committed lockfile (install scripts are off: .npmrc).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci
deps: node_modules/.package-lock.json

build: deps
	$(NODE) build/bundle.mjs

# Single executable for this machine's architecture; see README "Building" for arm64.
sea: build
	$(NODE) build/sea.mjs $(SEA_ARGS)

# Regenerate protocols/generated/ from protocols/proto/ (commit the result).
proto: deps
	$(NODE) build/gen-proto.mjs

proto-check: deps
	$(NODE) build/gen-proto.mjs --check

lint: deps
	$(BIN)/eslint .

typecheck: deps
	$(BIN)/tsc -p tsconfig.json --noEmit

# Generated-code drift, types, lint, then every test; ends with "N passed, N failed".
test: deps
	$(NODE) build/test.mjs

demo: build
	$(NODE) dist/rackpilot.cjs demo

# Benchmarks → bench/results.json and a table. `make bench ONLY=wire` runs one section.
bench: build
	$(NODE) build/run-ts.mjs bench/main.ts $(if $(ONLY),--only $(ONLY))

# Debian tools the tests talk to (real peers): protoc, mbpoll, socat, pymodbus; openssl makes
# the throw-away certificates of the TLS tests and the demo.
tools:
	apt-get install -y --no-install-recommends protobuf-compiler mbpoll socat python3-pymodbus openssl

clean:
	rm -rf dist .cache coverage
