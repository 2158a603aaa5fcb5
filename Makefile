# Loops With Friends. `make run` builds and serves; `make test` runs every test.
GO        ?= go
ADDR      ?= 127.0.0.1:8080
WASM      := web/static/app.wasm
GOFLAGS_R := -trimpath -ldflags "-s -w"

.PHONY: all build wasm run test vet unit browser-deps bench lighthouse clean

all: build

# The WASM is built first: the server binary embeds it. It compiles go-app
# without its server half (server/goappwasm: no net/http, no TLS client in
# the browser), merges the data segments Go's linker split at every run of
# zeros (server/wasmdata), then brotli 11 and gzip 9 copies are written
# beside it (kept when the WASM did not change).
wasm:
	$(GO) mod download -json github.com/maxence-charriere/go-app/v10 | $(GO) run ./server/goappwasm bin/wasm
	GOOS=js GOARCH=wasm $(GO) build -modfile bin/wasm/go.mod $(GOFLAGS_R) -o $(WASM) .
	$(GO) run ./server/wasmdata $(WASM)
	$(GO) run ./server/precompress $(WASM)

build: wasm
	$(GO) build -trimpath -ldflags "-s -w -X main.version=$$(sha256sum $(WASM) | cut -c1-12)" -o bin/loops .

run: build
	./bin/loops -addr $(ADDR)

# Three nodes on loopback as one hub (cluster mode, README); Ctrl-C stops them.
# The signal reaches the nodes from the terminal and they drain: the recipe
# only waits for them (signalling them again would end them at once, and
# 'kill 0' in a trap signals the trap's own shell, over and over).
CLUSTER_KEY ?= $(shell head -c 32 /dev/urandom | base64)
cluster: build
	trap wait INT TERM; \
	export LOOPS_CLUSTER_KEY='$(CLUSTER_KEY)'; \
	for i in 1 2 3; do \
	  routes=$$(for j in 1 2 3; do [ $$j = $$i ] || printf 'nats://127.0.0.1:622%s,' $$j; done); \
	  ./bin/loops -addr 127.0.0.1:808$$i -node n$$i -data data/n$$i -nats embedded \
	    -nats-cluster 127.0.0.1:622$$i -nats-routes $${routes%,} & \
	done; wait

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app/... ./shared/... .

# Debian's chromium and firefox-esr for the browser tests, and PulseAudio
# for Firefox's sound card (a null sink): installed when missing and root.
# With rtkit (and the polkitd and system bus it brings) the Firefox tests
# give the browser real-time audio threads as on a desktop (app/rtkit_test.go);
# it needs root to run, so it is installed as root and left out otherwise.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v firefox-esr >/dev/null 2>&1 || missing="$$missing firefox-esr"; \
	command -v pulseaudio >/dev/null 2>&1 || missing="$$missing pulseaudio"; \
	if [ "$$(id -u)" = 0 ]; then \
	  [ -x /usr/libexec/rtkit-daemon ] || missing="$$missing rtkit"; \
	  if [ -n "$$missing" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  fi; \
	elif [ -n "$$missing" ]; then \
	  echo "The browser tests need Debian's$$missing: run 'sudo apt-get install$$missing', then 'make test' again."; exit 1; \
	fi

test: vet build browser-deps
	# The kits' goals (shared/sound) measure every loop of three kits under
	# the race detector: minutes of CPU, more than go test's default 10 m
	# per package on a crowded machine.
	$(GO) test -race -count=1 -timeout 30m ./...

bench: build browser-deps
	$(GO) test -run '^$$' -bench . -benchmem ./...
	# Loop synthesis as the browser runs it: WASM under Node (BENCHMARKS.md).
	GOOS=js GOARCH=wasm $(GO) test -c -o bin/sound_test.wasm ./shared/sound && node "$$($(GO) env GOROOT)/lib/wasm/wasm_exec_node.js" bin/sound_test.wasm -test.run '^$$' -test.bench . -test.benchtime 10x
	# The app in headless chromium and firefox: sync across browsers, the app's load, the page's thread during its start with and without the warm worker, the page at rest and the own loop's wait, the first start on a jittery link, Firefox against Chromium, a 10-minute recording's WAV export (BENCHMARKS.md).
	LOOPS_BENCH=1 $(GO) test -count=1 -v -run '^Test(SyncBench|LoadBench|StartBench|RestBench|FirstStartBench|FirefoxBench|ExportBench)$$' -timeout 50m ./app/
	# The hub: 9,000 clients against the naive hub in the same run, both up at once
	# and taking turns in stretches of 10 s (two rounds, each starting with the
	# other), 19,000 clients, then the chaos run (BENCHMARKS.md).
	ulimit -n 20000; ./bin/loops load -spawn 127.0.0.1:18080 -baseline 127.0.0.1:18082 -rounds 2 -clients 9000 -duration 60s
	ulimit -n 20000; ./bin/loops load -spawn 127.0.0.1:18948 -clients 19000 -duration 60s
	ulimit -n 20000; ./bin/loops load -spawn 127.0.0.1:18081 -clients 10000 -duration 60s -chaos
	# Issue 8: 1,000 clients toggling without, then with, the attacker (`loops attack`,
	# a process of its own: a mix flood, sockets to the per-address limit, slow WASM
	# readers, join churn), and the ratios (BENCHMARKS.md).
	ulimit -n 20000; ./bin/loops load -spawn 127.0.0.1:18084 -clients 1000 -duration 60s -attack
	# Cluster mode: the same 9,000 clients on one node, then spread over three
	# nodes on embedded NATS (ports 18100-18121), with the ratios, in two rounds,
	# the second starting with the cluster (BENCHMARKS.md); then 3,000 clients,
	# where the two runs leave the box's two cores unsaturated.
	ulimit -n 20000; ./bin/loops load -spawn 127.0.0.1:18100 -cluster 3 -clients 9000 -duration 60s -rounds 2
	ulimit -n 20000; ./bin/loops load -spawn 127.0.0.1:18100 -cluster 3 -clients 3000 -duration 60s

# Lighthouse 12.2.3 (npm's, installed into bin/lighthouse: 13 wants Node 22)
# on the first screen of a local bin/loops, mobile then desktop preset,
# headless chromium; the reports land in bin/lighthouse-*.json (BENCHMARKS.md).
LH := bin/lighthouse/node_modules/lighthouse/cli/index.js
lighthouse: build browser-deps
	test -f $(LH) || (mkdir -p bin/lighthouse && cd bin/lighthouse && npm i -E lighthouse@12.2.3 --no-audit --no-fund)
	./bin/loops -addr 127.0.0.1:18948 & pid=$$!; trap "kill $$pid" EXIT; sleep 2; \
	for preset in mobile desktop; do \
	  flag=""; [ $$preset = desktop ] && flag=--preset=desktop; \
	  CHROME_PATH=$$(command -v chromium) node $(LH) http://127.0.0.1:18948/ $$flag --quiet \
	    --chrome-flags="--headless=new --no-sandbox --disable-dev-shm-usage" \
	    --only-categories=performance,accessibility,best-practices,seo \
	    --output=json --output-path=bin/lighthouse-$$preset.json || exit 1; \
	  node -e 'const r = require("./bin/lighthouse-'$$preset'.json"), a = r.audits, m = k => a[k].displayValue; console.log("LIGHTHOUSE '$$preset':", Object.values(r.categories).map(c => c.id + " " + Math.round(100 * c.score)).join(", "), "| FCP", m("first-contentful-paint"), "| LCP", m("largest-contentful-paint"), "| TBT", m("total-blocking-time"), "| CLS", m("cumulative-layout-shift"), "|", m("total-byte-weight"), "| warnings:", (r.runWarnings || []).join(" "))' || exit 1; \
	done

clean:
	rm -rf bin $(WASM) $(WASM).br $(WASM).gz
