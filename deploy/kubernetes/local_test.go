package kubernetes_test

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/loadgate/loadgate/record"
)

// localScenario replaces the ConfigMap's scenario: short, against a local
// server, rates that 3 shards divide exactly.
const localScenario = `name: k8s-local
target:
  base_url: ${TARGET_URL}
  health: none
load:
  stages:
    - {duration: 2s, rate: 90/s}
requests:
  - {name: a, weight: 2, path: /a}
  - {name: b, weight: 1, path: /b}
gates:
  - error_rate < 1%
  - p95 < 5s
`

// TestJobsRunLocally runs the kustomization's shards Job as N local
// processes of the loadgate binary, each with exactly the arguments and
// environment its pod gets (JOB_COMPLETION_INDEX from the pod's completion
// index annotation, the rest from the ConfigMaps), volumes as local
// directories, and the merge Job beside them as Kubernetes would start it;
// the merged run must hold the whole plan as one process running it does.
func TestJobsRunLocally(t *testing.T) {
	bin := buildLoadgate(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()

	dir := copyDir(t, ".")
	if err := os.WriteFile(filepath.Join(dir, "scenario.yaml"), []byte(localScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	kz := filepath.Join(dir, "kustomization.yaml")

	// As shipped, target_url is a placeholder: a shard refuses it at once
	// and says what to set, before any request.
	if placeholder := build(t, dir).configMaps["loadgate-settings"].Data["target_url"]; strings.Contains(placeholder, "REPLACE-ME") {
		b := build(t, dir)
		p := startPod(t, bin, b.jobs["loadgate-shards"], 0, b, newVolumes(t, b))
		if code := p.wait(t); code != 2 || !strings.Contains(p.out.String(), placeholder) || !strings.Contains(p.out.String(), "set target_url in kustomization.yaml") {
			t.Errorf("a shard given the placeholder target_url: exit %d, want 2 naming it:\n%s", code, p.out)
		}
	}

	startAt := time.Now().Add(3 * time.Second).UTC().Truncate(time.Second)
	edit(t, kz, "shards=4", "shards=3")
	setSetting(t, kz, "target_url", srv.URL)
	edit(t, kz, "start_at=", "start_at="+startAt.Format(time.RFC3339))
	b := build(t, dir)
	vols := newVolumes(t, b)

	shardJob, mergeJob := b.jobs["loadgate-shards"], b.jobs["loadgate-merge"]
	n := int(*shardJob.Spec.Completions)
	var procs []*proc
	for i := range n {
		procs = append(procs, startPod(t, bin, shardJob, i, b, vols))
	}
	merge := startPod(t, bin, mergeJob, -1, b, vols)
	// One process running the whole plan, for comparison.
	single := filepath.Join(t.TempDir(), "single")
	whole := startProc(t, bin, []string{"TARGET_URL=" + srv.URL}, "run", filepath.Join(dir, "scenario.yaml"), "--out", single)

	for _, p := range append(procs, whole) {
		if code := p.wait(t); code != 0 {
			t.Fatalf("%s exited %d:\n%s", p.name, code, p.out)
		}
	}
	if code := merge.wait(t); code != 0 {
		t.Fatalf("merge exited %d:\n%s", code, merge.out)
	}

	settings := b.configMaps["loadgate-settings"].Data
	runDir := filepath.Join(vols.claims["loadgate-results"], settings["run"])
	for i := range n {
		r := readRun(t, filepath.Join(runDir, fmt.Sprintf("shard-%d", i)))
		if r.ShardIndex != i+1 || r.ShardCount != n || r.StartAt == nil || !r.StartAt.Equal(startAt) || r.Started.Before(startAt) {
			t.Errorf("pod %d: shard %d/%d, start_at %v, started %v; want %d/%d from %v", i, r.ShardIndex, r.ShardCount, r.StartAt, r.Started, i+1, n, startAt)
		}
	}
	m, s := readRun(t, runDir+"-merged"), readRun(t, single)
	if m.Merged == nil || m.Merged.Shards != n || m.Merged.Of != n || m.Merged.Partial {
		t.Errorf("merged: %+v", m.Merged)
	}
	if m.PlanHash != s.PlanHash {
		t.Errorf("plan hash: shards %s, the whole plan %s", m.PlanHash, s.PlanHash)
	}
	if m.Overall.Requests != s.Overall.Requests || m.Overall.Requests != 180 {
		t.Errorf("merged %d requests, one process %d (plan: 180)", m.Overall.Requests, s.Overall.Requests)
	}
	if math.Abs(m.Overall.Rate.Target-s.Overall.Rate.Target) > 1e-9 || fmt.Sprint(m.Plan.Stages) != fmt.Sprint(s.Plan.Stages) {
		t.Errorf("merged plan %v at %v/s, one process %v at %v/s", m.Plan.Stages, m.Overall.Rate.Target, s.Plan.Stages, s.Overall.Rate.Target)
	}
	if !slices.Equal(m.Plan.Gates, s.Plan.Gates) || len(m.Gates) != 2 || m.Gates[0].Verdict != record.VerdictPass || m.Gates[1].Verdict != s.Gates[1].Verdict {
		t.Errorf("gates: merged %+v, one process %+v", m.Gates, s.Gates)
	}
	for _, f := range []string{record.ReportFile, record.SummaryFile, record.JUnitFile} {
		if _, err := os.Stat(filepath.Join(runDir+"-merged", f)); err != nil {
			t.Error(err)
		}
	}
}

// buildLoadgate builds the binary the image runs.
func buildLoadgate(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "loadgate")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/loadgate/loadgate/cmd/loadgate").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// volumes are the pods' volumes as local directories: a ConfigMap's keys
// as files, a claim as a directory every pod shares.
type volumes struct {
	configMaps map[string]string // by ConfigMap name
	claims     map[string]string // by claim name
}

func newVolumes(t *testing.T, b *built) *volumes {
	t.Helper()
	root := t.TempDir()
	v := &volumes{configMaps: map[string]string{}, claims: map[string]string{}}
	for _, cm := range b.byName {
		dir := filepath.Join(root, "configmap-"+cm.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for k, data := range cm.Data {
			if err := os.WriteFile(filepath.Join(dir, k), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		v.configMaps[cm.Name] = dir
	}
	for name := range b.pvcs {
		v.claims[name] = filepath.Join(root, "claim-"+name)
		if err := os.MkdirAll(v.claims[name], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// startPod starts the Job's container as a local process: the pod of
// completion index i (-1: not an Indexed Job).
func startPod(t *testing.T, bin string, job *batchv1.Job, index int, b *built, vols *volumes) *proc {
	t.Helper()
	spec := job.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers", job.Name, len(spec.Containers))
	}
	c := spec.Containers[0]
	annotations := map[string]string{}
	hostname := job.Name
	if index >= 0 {
		annotations[batchv1.JobCompletionIndexAnnotation] = fmt.Sprint(index)
		hostname = fmt.Sprintf("%s-%d", job.Name, index)
	}
	env := podEnv(t, c, annotations, b)
	// Kubernetes sets JOB_COMPLETION_INDEX in an Indexed Job's pods when the
	// manifest does not.
	if _, ok := env.get(jobCompletionIndexEnv); index >= 0 && !ok {
		env.set(jobCompletionIndexEnv, fmt.Sprint(index))
	}
	env.set("HOSTNAME", hostname)

	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		i := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		if i < 0 {
			t.Fatalf("%s: mount of an unknown volume %s", job.Name, m.Name)
		}
		switch vol := spec.Volumes[i]; {
		case vol.ConfigMap != nil:
			mounts[m.MountPath] = vols.configMaps[vol.ConfigMap.Name]
		case vol.PersistentVolumeClaim != nil:
			mounts[m.MountPath] = vols.claims[vol.PersistentVolumeClaim.ClaimName]
		default:
			t.Fatalf("%s: volume %s of an unsupported kind", job.Name, vol.Name)
		}
	}
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = localPath(expandVars(a, env), mounts)
		// Each pod has a network of its own; here the pods share one, so a
		// container port becomes a free port of the loopback, as the
		// volumes become directories.
		for _, p := range c.Ports {
			if args[i] == fmt.Sprintf(":%d", p.ContainerPort) {
				args[i] = "127.0.0.1:0"
			}
		}
	}
	if len(c.Command) > 0 {
		t.Fatalf("%s: the container overrides the image's entrypoint: %q", job.Name, c.Command)
	}
	return startProc(t, bin, env.list(), args...)
}

// podEnv resolves a container's environment as the kubelet does: in order,
// $(VAR) in values expanded from the variables before it.
func podEnv(t *testing.T, c corev1.Container, annotations map[string]string, b *built) *envVars {
	t.Helper()
	env := &envVars{}
	if len(c.EnvFrom) > 0 {
		t.Fatal("envFrom is not resolved by this test")
	}
	for _, e := range c.Env {
		switch src := e.ValueFrom; {
		case src == nil:
			env.set(e.Name, expandVars(e.Value, env))
		case src.FieldRef != nil:
			m := annotationPath.FindStringSubmatch(src.FieldRef.FieldPath)
			if m == nil {
				t.Fatalf("env %s: field %s is not resolved by this test", e.Name, src.FieldRef.FieldPath)
			}
			env.set(e.Name, annotations[m[1]])
		case src.ConfigMapKeyRef != nil:
			ref := src.ConfigMapKeyRef
			cm, ok := b.byName[ref.Name]
			v, has := "", false
			if ok {
				v, has = cm.Data[ref.Key]
			}
			switch {
			case has:
				env.set(e.Name, v)
			case ref.Optional == nil || !*ref.Optional:
				t.Fatalf("env %s: ConfigMap %s has no key %s: the pod would not start", e.Name, ref.Name, ref.Key)
			}
		case src.SecretKeyRef != nil:
			// No Secret is part of the kustomization: only an optional
			// reference lets the pod start.
			if ref := src.SecretKeyRef; ref.Optional == nil || !*ref.Optional {
				t.Fatalf("env %s: Secret %s is not optional and not in the kustomization", e.Name, ref.Name)
			}
		default:
			t.Fatalf("env %s: a source this test does not resolve", e.Name)
		}
	}
	return env
}

// jobCompletionIndexEnv is the variable Kubernetes sets in an Indexed Job's
// pods (the Job controller's JobCompletionIndexEnvName).
const jobCompletionIndexEnv = "JOB_COMPLETION_INDEX"

var annotationPath = regexp.MustCompile(`^metadata\.annotations\['([^']+)'\]$`)

// envVars is an ordered environment.
type envVars struct{ names, values []string }

func (e *envVars) set(k, v string) {
	if i := slices.Index(e.names, k); i >= 0 {
		e.values[i] = v
		return
	}
	e.names, e.values = append(e.names, k), append(e.values, v)
}

func (e *envVars) get(k string) (string, bool) {
	if i := slices.Index(e.names, k); i >= 0 {
		return e.values[i], true
	}
	return "", false
}

func (e *envVars) list() []string {
	out := make([]string, len(e.names))
	for i := range e.names {
		out[i] = e.names[i] + "=" + e.values[i]
	}
	return out
}

// expandVars expands $(VAR) as Kubernetes does in args and env values: a
// defined variable is replaced, an undefined reference stays as written,
// and $$ is a literal $.
func expandVars(s string, env *envVars) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			out.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			out.WriteByte('$')
			i++
			continue
		case '(':
			if end := strings.IndexByte(s[i+2:], ')'); end >= 0 {
				name := s[i+2 : i+2+end]
				if v, ok := env.get(name); ok {
					out.WriteString(v)
				} else {
					out.WriteString(s[i : i+3+end])
				}
				i += 2 + end
				continue
			}
		}
		out.WriteByte(s[i])
	}
	return out.String()
}

// localPath maps a path under a mount to the local directory standing for
// the volume.
func localPath(arg string, mounts map[string]string) string {
	for mount, local := range mounts {
		if arg == mount || strings.HasPrefix(arg, mount+"/") {
			return local + strings.TrimPrefix(arg, mount)
		}
	}
	return arg
}

// proc is a started process and its output.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *strings.Builder
}

// startProc starts bin with args and exactly env (nothing inherited).
func startProc(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: strings.Join(args, " "), cmd: exec.Command(bin, args...), out: &strings.Builder{}}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	return p
}

func (p *proc) wait(t *testing.T) int {
	t.Helper()
	err := p.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return 0
}

func readRun(t *testing.T, dir string) *record.Run {
	t.Helper()
	r, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
