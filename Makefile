# loadgate: the ways in. `make scenario NAME=steady` and `make test` work on a
# fresh machine: they build, fetch the chart script, and find or start
# PostgreSQL and Redis themselves.

GO         ?= go
BIN        := bin/loadgate
VERSION    ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

NAME       ?= steady
DURATION   ?=
RATE       ?=
PROFILE    ?= optimized
TARGET_URL ?=
RUN        ?= results/latest
RUNS       ?=
# Capacity search flags, e.g. CAPACITY_FLAGS="--step-hold 20s --capacity-max 2000".
CAPACITY_FLAGS ?=

# The ECharts script inlined into report.html, fetched from the npm registry at
# build time (never committed) and embedded into the binary by `make build`.
# Without it reports load ECharts from a CDN and say so.
ECHARTS_VERSION := 5.6.0
ECHARTS_JS      := .cache/echarts-$(ECHARTS_VERSION)/package/dist/echarts.min.js
export LOADGATE_ECHARTS_JS ?= $(abspath $(ECHARTS_JS))

RUN_FLAGS := $(if $(DURATION),--duration $(DURATION)) $(if $(RATE),--rate $(RATE))

# The test runner: gotestsum (pinned in tools/go.mod, built into bin/ since
# `go -C tools tool` would test tools/) prints each test as it
# finishes, where go test prints a package's output at its end.
# TEST_FORMAT=pkgname prints a line per package instead.
GOTESTSUM   := bin/gotestsum
TEST_FORMAT ?= testname
# go test's own limit per package binary (its default, 10m, is a wall-clock
# kill that a busy machine reaches on an honest run): a failsafe for a hung
# test, far above the slowest package here (the report's, a few minutes).
TEST_TIMEOUT ?= 60m

# Each step says what it does as it starts, with the time since make
# started, so that no step is a silence of minutes: $(call step,WHAT) is a
# recipe line printing "[+1m02s] WHAT" (WHAT without commas or single
# quotes).
MAKE_START := $(shell date +%s 2>/dev/null)
step = @now=$$(date +%s 2>/dev/null); s=$$(( $${now:-0} - $(or $(MAKE_START),$${now:-0}) )); printf '[+%dm%02ds] %s\n' $$((s / 60)) $$((s % 60)) '$(1)'

.PHONY: build assets scenario test lint-workflows test-short serve report report-screenshots compare capacity gate bench bench-target bench-harness vet fmt clean FORCE

# The binary embeds echarts.min.js (the echarts build tag, the file copied
# next to report/echarts_embed.go and git-ignored), so its reports draw
# offline wherever it runs. Without npm it is built without, and says so.
ECHARTS_EMBED := report/echarts.min.js

build: assets
	$(call step,building $(BIN) (the first build fetches and compiles the dependencies: a few minutes))
	@if [ -s $(ECHARTS_JS) ]; then cp $(ECHARTS_JS) $(ECHARTS_EMBED).tmp && mv $(ECHARTS_EMBED).tmp $(ECHARTS_EMBED); else rm -f $(ECHARTS_EMBED); fi
	$(GO) build $$([ -s $(ECHARTS_EMBED) ] && echo -tags echarts) -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/loadgate

assets: $(ECHARTS_JS)

# One shell: without npm it says so and succeeds (the file stays absent, so
# the next make asks again).
$(ECHARTS_JS):
	$(call step,fetching ECharts $(ECHARTS_VERSION) from npm for the reports (once))
	@if ! command -v npm >/dev/null; then \
		echo "npm not found: reports will load ECharts from a CDN (apt-get install npm to inline it)"; \
	else \
		set -x; mkdir -p .cache && cd .cache && npm pack --silent echarts@$(ECHARTS_VERSION) >/dev/null && \
		mkdir -p echarts-$(ECHARTS_VERSION) && tar -xzf echarts-$(ECHARTS_VERSION).tgz -C echarts-$(ECHARTS_VERSION) && \
		rm echarts-$(ECHARTS_VERSION).tgz; \
	fi

# The whole test suite against real PostgreSQL and Redis (found or started).
# go vet -race vets every package and its tests as the race build sees them
# and leaves them compiled with the race detector in the build cache, which
# the test run then takes: vet and the race build are one step (files built
# only without -race, report/norace_test.go, are vetted by go vet ./... alone).
test: build assets lint-workflows $(GOTESTSUM)
	$(call step,go vet -race ./... (vets every package and compiles it and its tests with the race detector: several minutes the first time))
	$(GO) vet -race ./...
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null || \
		echo "chromium not found: the tests that open the reports in a headless browser will be skipped (apt-get install chromium; with CI set they fail instead)"
	$(call step,running the tests with -race (PostgreSQL and Redis found or started; each package prints as it finishes))
	$(BIN) services -- $(GOTESTSUM) --format $(TEST_FORMAT) --format-hide-empty-pkg -- -race -count=1 -timeout $(TEST_TIMEOUT) ./...

$(GOTESTSUM): tools/go.mod tools/go.sum
	$(call step,building $@ (the test runner: once))
	$(GO) -C tools build -o $(abspath $@) gotest.tools/gotestsum

test-short: build
	$(call step,running the short tests (PostgreSQL and Redis found or started))
	$(BIN) services -- $(GO) test -short -count=1 -timeout $(TEST_TIMEOUT) ./...

serve: build
	$(BIN) services -- $(BIN) serve --profile $(PROFILE)

report: build assets
	$(BIN) report $(RUN)

# A screenshot of each page type (run, comparison, capacity search), drawn
# from the report package's fixtures in headless Chromium with the network
# off, for review: the first screen (1400 x 900) in $(SCREENSHOTS)/run.png,
# comparison.png and capacity.png, further down in run-full.png and
# comparison-full.png, beside the pages themselves. CI=1: a missing Chromium
# is an error here.
SCREENSHOTS ?= results/screenshots
report-screenshots: assets
	CI=1 $(GO) test ./report/ -count=1 -run '^TestReportScreenshots$$' -v -args -screenshots=$(abspath $(SCREENSHOTS))

# The goals that exit as loadgate does: 0 pass, 1 a gate failed, 2 error.
#
# scenario: runs NAME. Without TARGET_URL: services, migrations, seed (if
#   empty) and the reference target are set up and torn down around the run.
# compare: runs NAME against the reference target in the baseline profile,
#   then the optimized one, on the same data, renders the comparison into
#   results/<time>-compare-NAME/ and puts the database back as it was. With
#   RUNS="results/a results/b" it renders a comparison of existing runs instead.
# capacity: raises NAME's load step by step against the reference target in
#   PROFILE until a gate fails; writes results/<time>-NAME-capacity/.
# gate: prints the gate table of RUN.
LG_scenario = $(if $(TARGET_URL),$(BIN) run $(NAME) --target $(TARGET_URL) $(RUN_FLAGS),$(BIN) scenario $(NAME) --profile $(PROFILE) $(RUN_FLAGS))
LG_compare  = $(if $(RUNS),$(BIN) report $(RUNS) --out results/compare,$(BIN) compare $(NAME) $(RUN_FLAGS))
LG_capacity = $(if $(TARGET_URL),$(BIN) run $(NAME) --target $(TARGET_URL),$(BIN) scenario $(NAME) --profile $(PROFILE)) --find-capacity $(CAPACITY_FLAGS)
LG_gate     = $(BIN) gate $(RUN)
DEPS_scenario := build assets
DEPS_compare  := build assets
DEPS_capacity := build assets
DEPS_gate     := build

# make itself exits 2 whenever a recipe fails, which would turn "a gate
# failed" (1) into 2. So when one of these goals is the only one (and make
# is not asked to just print, question or touch: -n, -q, -t), loadgate runs
# as the recipe of an included file that records its exit code: an ordinary
# recipe, so output, Ctrl-C and clean-up are as usual. Having remade an
# included file, make reads the Makefile again (MAKE_RESTARTS is then set)
# and exits with the recorded code: 0 as it is, 1 through question mode
# (make -q exits 1 when a goal is out of date; phony goals always are), 2
# through $(error). Given with other goals they are plain recipes.
EXIT_GOALS := scenario compare capacity gate
exit_goal  := $(if $(filter 1,$(words $(MAKECMDGOALS))),$(filter $(EXIT_GOALS),$(MAKECMDGOALS)))
ifneq ($(findstring n,$(firstword -$(MAKEFLAGS)))$(findstring q,$(firstword -$(MAKEFLAGS)))$(findstring t,$(firstword -$(MAKEFLAGS))),)
exit_goal :=
endif

ifeq ($(exit_goal),)
$(EXIT_GOALS):
	$(call step,running loadgate)
	$(LG_$@)
scenario compare capacity: build assets
gate: build
else
# The file is named after this make process, which keeps its PID when it
# reads the Makefile again.
EXIT_FILE := .cache/make-exit-$(shell echo $$PPID).mk
ifeq ($(MAKE_RESTARTS),)
include $(EXIT_FILE)
$(EXIT_FILE): $(DEPS_$(exit_goal)) FORCE
	@mkdir -p $(dir $@)
	$(call step,running $(LG_$(exit_goal)))
	@$(LG_$(exit_goal)); echo "LOADGATE_EXIT := $$?" > $@.tmp && mv $@.tmp $@
else
-include $(EXIT_FILE)
$(shell rm -f $(EXIT_FILE))
ifeq ($(LOADGATE_EXIT),0)
else ifeq ($(LOADGATE_EXIT),1)
MAKEFLAGS += -q
else ifneq ($(LOADGATE_EXIT),)
$(error loadgate exited $(LOADGATE_EXIT))
else
$(error loadgate's exit code was not recorded in $(EXIT_FILE))
endif
endif
$(exit_goal): ; @:
endif

FORCE:

# The Go benchmarks of the hot paths (recorder, targeter, pacer…).
bench:
	$(GO) test -run XXX -bench . -benchmem ./runner/...

# The reference target's server-side speed per profile (cache hit, nutrition
# search, history, leaderboard; P95/P99 in the output) on the default data
# set: services found or started, seeded if empty. The baseline benchmarks
# drop the performance indexes; the next optimized start puts them back.
bench-target: build
	$(BIN) services -- sh -c '$(BIN) seed --if-empty && \
		LOADGATE_BENCH_DATABASE_URL="$$DATABASE_URL" $(GO) test -run XXX -bench . -benchtime $(or $(BENCHTIME),200x) ./target/ ./target/store/'

# The harness's own cost: loadgate vs the vegeta CLI vs wrk against a trivial
# local endpoint, alternating rounds, then loadgate's memory over a long run.
# ROUNDS=1 DURATION=3s LONG=30s is a quick check; output also in results/.
bench-harness: build
	$(GO) run ./cmd/benchharness -loadgate $(BIN) $(if $(ROUNDS),-rounds $(ROUNDS)) \
		$(if $(DURATION),-duration $(DURATION)) $(if $(LONG),-long $(LONG)) $(if $(BASELINE),-baseline $(BASELINE))

# Lints the GitHub Actions workflows with actionlint, pinned in tools/go.mod
# (a module of its own, so its dependencies stay out of loadgate's): fetched
# once through the module proxy, then run from the module cache, offline.
lint-workflows:
	$(call step,linting the GitHub workflows with actionlint (built once from tools/go.mod))
	$(GO) -C tools tool actionlint $(abspath $(wildcard .github/workflows/*.yml))

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin .cache
