package kubernetes_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// placeholdersLeft lists what a built kustomization still holds of the
// base's placeholders (REPLACE-ME, replace-me.invalid): the Jobs' images
// and the settings' values.
func placeholdersLeft(b *built) []string {
	is := func(v string) bool { return strings.Contains(strings.ToLower(v), "replace-me") }
	var left []string
	for _, name := range slices.Sorted(maps.Keys(b.jobs)) {
		for _, c := range b.jobs[name].Spec.Template.Spec.Containers {
			if is(c.Image) {
				left = append(left, fmt.Sprintf("the image of Job %s is the placeholder %q: set images (newName, newTag)", name, c.Image))
			}
		}
	}
	if s := b.configMaps["loadgate-settings"]; s != nil {
		for _, k := range slices.Sorted(maps.Keys(s.Data)) {
			if is(s.Data[k]) {
				left = append(left, fmt.Sprintf("loadgate-settings' %s is the placeholder %q", k, s.Data[k]))
			}
		}
	}
	return left
}

// TestOverlaysReplacePlaceholders builds every overlay of one's own under
// deploy/overlays/ (README.md, "On Kubernetes"; kustomize wants an
// overlay outside its base's directory) as kubectl apply -k would, strictly
// decoded, and refuses one that leaves the base's image or target_url a
// placeholder. Without overlays there is nothing to check.
func TestOverlaysReplacePlaceholders(t *testing.T) {
	t.Parallel()
	overlays, err := filepath.Glob(filepath.Join("..", "overlays", "*", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, kz := range overlays {
		dir := filepath.Dir(kz)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			for _, p := range placeholdersLeft(build(t, dir)) {
				t.Errorf("%s: %s", dir, p)
			}
		})
	}
}

// TestPlaceholderCheck: the base holds both placeholders; an overlay that
// sets nothing leaves both, which the check names; README.md's overlay,
// as written, replaces them, names its storage class and keeps the shard
// count in the Job.
func TestPlaceholderCheck(t *testing.T) {
	t.Parallel()
	base := copyDir(t, ".")
	left := placeholdersLeft(build(t, base))
	if len(left) < 3 || !strings.Contains(strings.Join(left, "\n"), "target_url") {
		t.Errorf("the base: %q; want both Jobs' images and target_url named", left)
	}

	empty := filepath.Join(base, "..", "overlays", "empty")
	writeFile(t, filepath.Join(empty, "kustomization.yaml"), "resources:\n  - ../../kubernetes\n")
	if got := placeholdersLeft(build(t, empty)); !slices.Equal(got, left) {
		t.Errorf("an overlay that sets nothing: %q, want the base's %q", got, left)
	}

	mine := filepath.Join(base, "..", "overlays", "mine")
	writeFile(t, filepath.Join(mine, "kustomization.yaml"), readmeOverlay(t))
	scenario, err := os.ReadFile("scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(mine, "checkout.yaml"), strings.Replace(string(scenario), "name: steady-sharded", "name: checkout", 1))
	b := build(t, mine)
	if got := placeholdersLeft(b); len(got) != 0 {
		t.Errorf("README.md's overlay leaves placeholders: %q", got)
	}
	shards := b.jobs["loadgate-shards"]
	settings := b.configMaps["loadgate-settings"].Data
	if img := shards.Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/loadgate:v1" {
		t.Errorf("README.md's overlay: image %q", img)
	}
	if settings["target_url"] != "http://checkout.shop.svc:8080" || settings["run"] != "checkout-001" {
		t.Errorf("README.md's overlay: settings %v", settings)
	}
	if sc := b.pvcs["loadgate-results"].Spec.StorageClassName; sc == nil || *sc != "nfs-client" {
		t.Errorf("README.md's overlay: storage class %v, want nfs-client", sc)
	}
	if n := fmt.Sprint(*shards.Spec.Completions); n != settings["shards"] || fmt.Sprint(*shards.Spec.Parallelism) != n {
		t.Errorf("README.md's overlay: completions %d, parallelism %d, shards %s", *shards.Spec.Completions, *shards.Spec.Parallelism, settings["shards"])
	}
	if !strings.Contains(b.configMaps["loadgate-scenario"].Data["scenario.yaml"], "name: checkout") {
		t.Error("README.md's overlay: the scenario is not the overlay's checkout.yaml")
	}
}

// readmeOverlay is the overlay's kustomization.yaml in README.md's "On
// Kubernetes" section.
func readmeOverlay(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "### On Kubernetes")
	if !ok {
		t.Fatal(`README.md has no section "On Kubernetes"`)
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("that section has no yaml block")
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// setSetting sets key's literal in the loadgate-settings generator of the
// kustomization file, whatever it was.
func setSetting(t *testing.T, path, key, value string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^(\s*- )"?` + regexp.QuoteMeta(key) + `=.*$`)
	if !re.Match(data) {
		t.Fatalf("%s has no literal %s=", path, key)
	}
	writeFile(t, path, re.ReplaceAllString(string(data), "${1}"+strings.ReplaceAll(key+"="+value, "$", "$$")))
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
