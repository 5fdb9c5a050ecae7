// Package kubernetes_test checks the manifests of deploy/kubernetes without
// a cluster: every file and the kustomization's output decode strictly into
// the Kubernetes API types (an unknown or misspelt field fails), and the
// shards and the merge run as local processes with exactly the environment
// and arguments the Jobs give their pods. The Kubernetes and kustomize
// modules are imported here only, by tests, so the loadgate binary does not
// link them.
package kubernetes_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/loadgate/loadgate/scenarios"
)

// strictDecoder decodes core and batch objects, failing on unknown and
// duplicated fields.
func strictDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// manifests lists the Kubernetes object files (the kustomization and the
// scenario it turns into a ConfigMap are not objects).
func manifests(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		switch filepath.Base(f) {
		case "kustomization.yaml", "scenario.yaml":
		default:
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatal("no manifests found")
	}
	return out
}

// built is the kustomization's output, decoded.
type built struct {
	configMaps map[string]*corev1.ConfigMap // by name without kustomize's hash suffix
	byName     map[string]*corev1.ConfigMap // by name as written (references use it)
	jobs       map[string]*batchv1.Job
	pvcs       map[string]*corev1.PersistentVolumeClaim
}

// hashSuffix is what kustomize appends to a generated ConfigMap's name.
var hashSuffix = regexp.MustCompile(`-[a-z0-9]{10}$`)

// build runs the kustomization in dir as `kubectl apply -k` would and
// decodes every object strictly.
func build(t *testing.T, dir string) *built {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	dec := strictDecoder(t)
	b := &built{configMaps: map[string]*corev1.ConfigMap{}, byName: map[string]*corev1.ConfigMap{}, jobs: map[string]*batchv1.Job{}, pvcs: map[string]*corev1.PersistentVolumeClaim{}}
	for _, r := range m.Resources() {
		data, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := dec.Decode(data, nil, nil)
		if err != nil {
			t.Fatalf("kustomize output %s %s does not decode strictly: %v\n%s", r.GetKind(), r.GetName(), err, data)
		}
		switch o := obj.(type) {
		case *corev1.ConfigMap:
			// Generated ConfigMaps carry a content hash suffix.
			b.configMaps[hashSuffix.ReplaceAllString(o.Name, "")] = o
			b.byName[o.Name] = o
		case *batchv1.Job:
			b.jobs[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			b.pvcs[o.Name] = o
		default:
			t.Errorf("unexpected object %T in the kustomization's output", obj)
		}
	}
	return b
}

// TestManifestsDecodeStrictly decodes every manifest file and the
// kustomization's output into the API types, and checks what the shards
// and the merge rely on.
func TestManifestsDecodeStrictly(t *testing.T) {
	t.Parallel()
	dec := strictDecoder(t)
	for _, f := range manifests(t, ".") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := dec.Decode(data, nil, nil); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// A misspelt field fails: the check can fail.
	bad := "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  completionMod: Indexed\n"
	if _, _, err := dec.Decode([]byte(bad), nil, nil); err == nil || !strings.Contains(err.Error(), "completionMod") {
		t.Errorf("a misspelt field decoded: %v", err)
	}

	var kz types.Kustomization
	data, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &kz); err != nil {
		t.Errorf("kustomization.yaml: %v", err)
	}

	b := build(t, ".")
	settings := b.configMaps["loadgate-settings"]
	if settings == nil || b.configMaps["loadgate-scenario"] == nil || b.pvcs["loadgate-results"] == nil {
		t.Fatalf("kustomize output lacks the settings, the scenario or the volume: %v %v", b.configMaps, b.pvcs)
	}
	shards, merge := b.jobs["loadgate-shards"], b.jobs["loadgate-merge"]
	if shards == nil || merge == nil {
		t.Fatalf("jobs: %v", b.jobs)
	}
	spec := shards.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Error("the shards Job is not Indexed")
	}
	n := settings.Data["shards"]
	if spec.Completions == nil || spec.Parallelism == nil || fmt.Sprint(*spec.Completions) != n || fmt.Sprint(*spec.Parallelism) != n {
		t.Errorf("completions %v, parallelism %v, settings' shards %q: all three must be N", spec.Completions, spec.Parallelism, n)
	}
	c := spec.Template.Spec.Containers[0]
	if len(kz.Images) != 1 || c.Image != kz.Images[0].NewName+":"+kz.Images[0].NewTag {
		t.Errorf("shard image %q, images %+v: the kustomization's images entry did not apply", c.Image, kz.Images)
	}
	if m := merge.Spec.Template.Spec.Containers[0].Image; m != c.Image {
		t.Errorf("merge image %q, shard image %q: both are the kustomization's", m, c.Image)
	}
	// Shards on several nodes share the volume.
	if pvc := b.pvcs["loadgate-results"]; !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}) {
		t.Errorf("results volume access modes %v, want ReadWriteMany", pvc.Spec.AccessModes)
	}
	if !slices.Contains(c.Args, "--shard") || c.Args[slices.Index(c.Args, "--shard")+1] != "auto" {
		t.Errorf("shard args %q lack --shard auto", c.Args)
	}
	// Prometheus finds the shards' live metrics by the usual annotations.
	ann := spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" || len(c.Ports) != 1 ||
		ann["prometheus.io/port"] != fmt.Sprint(c.Ports[0].ContainerPort) || !slices.Contains(c.Args, fmt.Sprintf(":%d", c.Ports[0].ContainerPort)) {
		t.Errorf("scrape annotations %v, ports %v, args %q: the annotated port must be where --metrics-addr serves", ann, c.Ports, c.Args)
	}
	if got := merge.Spec.Template.Spec.Containers[0].Args; len(got) == 0 || got[0] != "merge" || !slices.Contains(got, "--wait") {
		t.Errorf("merge args %q", got)
	}

	// The scenario in the ConfigMap is a valid scenario.
	env := map[string]string{"TARGET_URL": "http://target:8080"}
	if _, err := scenarios.Parse([]byte(b.configMaps["loadgate-scenario"].Data["scenario.yaml"]), "scenario.yaml", ".",
		scenarios.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}); err != nil {
		t.Errorf("the ConfigMap's scenario: %v", err)
	}
}

// TestKustomizationSetsN: changing the settings' shards changes the
// completions, the parallelism and what the pods read as LOADGATE_SHARDS.
func TestKustomizationSetsN(t *testing.T) {
	t.Parallel()
	dir := copyDir(t, ".")
	edit(t, filepath.Join(dir, "kustomization.yaml"), "shards=4", "shards=7")
	b := build(t, dir)
	spec := b.jobs["loadgate-shards"].Spec
	if *spec.Completions != 7 || *spec.Parallelism != 7 || b.configMaps["loadgate-settings"].Data["shards"] != "7" {
		t.Errorf("after shards=7: completions %d, parallelism %d, settings %q", *spec.Completions, *spec.Parallelism, b.configMaps["loadgate-settings"].Data["shards"])
	}
}

// copyDir copies the manifests into a temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kubernetes")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// edit replaces old (which must be there) by new in a file.
func edit(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
