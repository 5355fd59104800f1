package kubernetes_test

import (
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// manifest is one YAML document of one file, decoded into its API type.
type manifest struct {
	where string // file#document
	obj   any    // *appsv1.Deployment, *batchv1.Job or *corev1.Service
}

// splitDocs splits a YAML stream at its "---" lines and drops documents that
// hold only comments and blank lines.
func splitDocs(data string) []string {
	var docs []string
	var cur strings.Builder
	flush := func() {
		for line := range strings.Lines(cur.String()) {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				docs = append(docs, cur.String())
				break
			}
		}
		cur.Reset()
	}
	for line := range strings.Lines(data) {
		if strings.TrimRight(line, " \t\r\n") == "---" {
			flush()
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return docs
}

// decodeStrict decodes one document into the API type its apiVersion and
// kind name, rejecting unknown and duplicate fields.
func decodeStrict(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "batch/v1 Job":
		obj = &batchv1.Job{}
	case "v1 Service":
		obj = &corev1.Service{}
	default:
		return nil, fmt.Errorf("unexpected apiVersion %q kind %q (never a bare Pod: use a Deployment or a Job)", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

func loadManifests(t *testing.T) []manifest {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no *.yaml manifests")
	}
	var out []manifest
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocs(string(data)) {
			where := fmt.Sprintf("%s#%d", f, i+1)
			obj, err := decodeStrict([]byte(doc))
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			out = append(out, manifest{where: where, obj: obj})
		}
	}
	return out
}

// tendConfig is what a container tells tend: the options before "--" in its
// command, over the TEND_* variables of its env (a flag beats the variable).
type tendConfig map[string]string

// tendOf returns the tend configuration of c, or false if c does not run
// tend (its command must start with a binary named tend).
func tendOf(c corev1.Container) (tendConfig, bool) {
	if len(c.Command) == 0 || path.Base(c.Command[0]) != "tend" {
		return nil, false
	}
	cfg := tendConfig{}
	for _, e := range c.Env {
		if name, ok := strings.CutPrefix(e.Name, "TEND_"); ok {
			cfg[strings.ReplaceAll(strings.ToLower(name), "_", "-")] = e.Value
		}
	}
	bools := []string{"no-subreaper", "pause", "verbose", "quiet"}
	args := c.Command[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case hasValue:
		case slices.Contains(bools, name):
			value = "true"
		case i+1 < len(args):
			i++
			value = args[i]
		}
		cfg[name] = value
	}
	return cfg, true
}

// duration returns option name as a duration, or def when it is not set.
func (c tendConfig) duration(name string, def time.Duration) (time.Duration, error) {
	v, ok := c[name]
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("tend --%s=%q: %w", name, v, err)
	}
	return d, nil
}

func (c tendConfig) restart() string {
	if r := c["restart"]; r != "" {
		return r
	}
	return "no"
}

func (c tendConfig) flag(name string) bool {
	b, _ := strconv.ParseBool(c[name])
	return b
}

// tendDefaultGrace is tend's --grace default.
const tendDefaultGrace = 10 * time.Second

// pinnedTag matches an image tag that names a version.
var pinnedTag = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)*([-+.][0-9A-Za-z.-]+)?$`)

// imageProblem says why image is not pinned, or "".
func imageProblem(image string) string {
	if _, digest, ok := strings.Cut(image, "@"); ok {
		if strings.HasPrefix(digest, "sha256:") && len(digest) == len("sha256:")+64 {
			return ""
		}
		return "malformed digest"
	}
	last := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	switch {
	case !ok:
		return "no tag (that means latest)"
	case !pinnedTag.MatchString(tag):
		return fmt.Sprintf("tag %q is not a version", tag)
	}
	return ""
}

// checkPod checks the rules every pod template here must keep, and returns
// the problems found. kind is "Deployment" or "Job".
func checkPod(kind string, spec corev1.PodSpec) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	tgps := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if spec.TerminationGracePeriodSeconds != nil {
		tgps = *spec.TerminationGracePeriodSeconds
	}
	podNonRoot := spec.SecurityContext != nil && spec.SecurityContext.RunAsNonRoot != nil && *spec.SecurityContext.RunAsNonRoot
	emptyDirs := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.EmptyDir != nil {
			emptyDirs[v.Name] = true
		}
	}

	tendContainers := 0
	for _, c := range spec.Containers {
		if why := imageProblem(c.Image); why != "" {
			add("container %s: image %s is not pinned: %s", c.Name, c.Image, why)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[r]; !ok {
				add("container %s: no %s request", c.Name, r)
			}
		}
		if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
			add("container %s: no memory limit", c.Name)
		}
		sc := c.SecurityContext
		switch {
		case sc == nil:
			add("container %s: no securityContext", c.Name)
		default:
			if !podNonRoot && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
				add("container %s: runAsNonRoot is not set", c.Name)
			}
			if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
				add("container %s: runAsUser 0", c.Name)
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				add("container %s: allowPrivilegeEscalation is not false", c.Name)
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				add("container %s: readOnlyRootFilesystem is not true", c.Name)
			} else if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
				return m.MountPath == "/tmp" && emptyDirs[m.Name]
			}) {
				add("container %s: read-only root filesystem but no emptyDir at /tmp", c.Name)
			}
		}

		cfg, ok := tendOf(c)
		if !ok {
			continue
		}
		tendContainers++
		grace, err := cfg.duration("grace", tendDefaultGrace)
		if err != nil {
			add("container %s: %v", c.Name, err)
		}
		// The kubelet's SIGKILL must come after tend's, with time for tend
		// to reap and exit. The period counts from the start of a preStop
		// hook, tend's grace from the SIGTERM that follows the hook.
		if hook := preStopSleep(c); time.Duration(tgps)*time.Second < hook+grace+5*time.Second {
			if hook > 0 {
				add("container %s: terminationGracePeriodSeconds %d is not at least 5s above the preStop sleep %v plus tend's grace %v", c.Name, tgps, hook, grace)
			} else {
				add("container %s: terminationGracePeriodSeconds %d is not at least 5s above tend's grace %v", c.Name, tgps, grace)
			}
		}
		// The stop delay counts against the grace: tend refuses a delay
		// that is not below it (exit 125), and the app needs time after it.
		if delay, err := cfg.duration("stop-delay", 0); err != nil {
			add("container %s: %v", c.Name, err)
		} else if delay > 0 && delay >= grace {
			add("container %s: tend --stop-delay %v is not below its grace %v", c.Name, delay, grace)
		}
		if r := cfg.restart(); r != "no" && r != "on-failure" && r != "always" {
			add("container %s: tend --restart=%q", c.Name, r)
		}
		if v, ok := cfg["max-restarts"]; ok {
			if n, err := strconv.Atoi(v); err != nil || n < 0 {
				add("container %s: tend --max-restarts=%q", c.Name, v)
			}
		}
		for _, name := range []string{"backoff-min", "backoff-max", "deadline", "health-interval", "health-timeout", "health-start-period"} {
			if _, err := cfg.duration(name, 0); err != nil {
				add("container %s: %v", c.Name, err)
			}
		}
		if spec.ShareProcessNamespace != nil && *spec.ShareProcessNamespace && cfg.flag("no-subreaper") {
			add("container %s: tend is not PID 1 in a shared PID namespace and must be a subreaper (drop --no-subreaper)", c.Name)
		}
		if kind == "Deployment" && cfg.restart() != "no" {
			add("container %s: tend --restart=%s in a Deployment: let the kubelet restart the container (TEND_RESTART=no)", c.Name, cfg.restart())
		}
		if addr, ok := cfg["status-addr"]; ok && addr != "" {
			problems = append(problems, checkStatusProbes(c, addr)...)
		}
	}
	if tendContainers == 0 {
		add("no container runs tend (command: [\"/tend\", \"--\"])")
	}
	return problems
}

// preStopSleep is the time c's preStop sleep action takes, 0 without one.
func preStopSleep(c corev1.Container) time.Duration {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		return 0
	}
	return time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
}

// checkStatusProbes checks that c's liveness and readiness probes ask tend's
// status server at addr: GET /healthz and /readyz on its port.
func checkStatusProbes(c corev1.Container, addr string) []string {
	var problems []string
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return []string{fmt.Sprintf("container %s: tend --status-addr=%q: %v", c.Name, addr, err)}
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		problems = append(problems, fmt.Sprintf("container %s: tend --status-addr=%q is loopback: the kubelet probes the pod IP", c.Name, addr))
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return append(problems, fmt.Sprintf("container %s: tend --status-addr=%q: bad port", c.Name, addr))
	}
	resolve := func(p intstr.IntOrString) int {
		if p.Type == intstr.Int {
			return p.IntValue()
		}
		for _, cp := range c.Ports {
			if cp.Name == p.StrVal {
				return int(cp.ContainerPort)
			}
		}
		return -1
	}
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"livenessProbe", c.LivenessProbe, "/healthz"},
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
	} {
		switch {
		case pr.probe == nil || pr.probe.HTTPGet == nil:
			problems = append(problems, fmt.Sprintf("container %s: no %s httpGet on tend's %s", c.Name, pr.name, pr.path))
		case pr.probe.HTTPGet.Path != pr.path:
			problems = append(problems, fmt.Sprintf("container %s: %s asks %s; want tend's %s", c.Name, pr.name, pr.probe.HTTPGet.Path, pr.path))
		case resolve(pr.probe.HTTPGet.Port) != port:
			problems = append(problems, fmt.Sprintf("container %s: %s port %s is not tend's status port %d", c.Name, pr.name, pr.probe.HTTPGet.Port.String(), port))
		}
	}
	return problems
}

// copyDir returns the DIR of an initContainer that runs tend --copy-to DIR.
func copyDir(c corev1.Container) (string, bool) {
	cfg, ok := tendOf(c)
	if !ok || c.RestartPolicy != nil {
		return "", false
	}
	dir, ok := cfg["copy-to"]
	return dir, ok && dir != ""
}

// isSidecar reports whether an initContainer is a native sidecar.
func isSidecar(c corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// checkInjection checks the containers that run a tend injected by an
// initContainer (any tend but /tend, the image's own): their tend must sit
// in an emptyDir that an initContainer filled with tend --copy-to, and a
// native sidecar under tend gets the same grace rule as the containers.
func checkInjection(spec corev1.PodSpec) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	emptyDirs := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.EmptyDir != nil {
			emptyDirs[v.Name] = true
		}
	}
	mountedAt := func(c corev1.Container, dir string) string {
		for _, m := range c.VolumeMounts {
			if path.Clean(m.MountPath) == path.Clean(dir) && emptyDirs[m.Name] {
				return m.Name
			}
		}
		return ""
	}
	filledBy := map[string]int{} // emptyDir -> index of the initContainer that copies tend into it
	for i, c := range spec.InitContainers {
		dir, ok := copyDir(c)
		if !ok {
			continue
		}
		if c.Command[0] != "/tend" {
			add("initContainer %s: runs %s; want the tend image's /tend", c.Name, c.Command[0])
		}
		if c.Args != nil || slices.Contains(c.Command, "--") {
			add("initContainer %s: tend --copy-to runs no command", c.Name)
		}
		if v := mountedAt(c, dir); v == "" {
			add("initContainer %s: --copy-to %s is not an emptyDir mount", c.Name, dir)
		} else if _, seen := filledBy[v]; !seen {
			filledBy[v] = i
		}
	}
	tgps := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if spec.TerminationGracePeriodSeconds != nil {
		tgps = *spec.TerminationGracePeriodSeconds
	}
	type user struct {
		what string // "container" or "sidecar"
		c    corev1.Container
		at   int // init index; len(InitContainers) for the containers
	}
	var users []user
	for i, c := range spec.InitContainers {
		if cfg, ok := tendOf(c); ok && isSidecar(c) {
			users = append(users, user{"sidecar", c, i})
			// checkPod checks the containers' grace; a sidecar is stopped
			// within the same terminationGracePeriodSeconds.
			if grace, err := cfg.duration("grace", tendDefaultGrace); err != nil {
				add("sidecar %s: %v", c.Name, err)
			} else if time.Duration(tgps)*time.Second < grace+5*time.Second {
				add("sidecar %s: terminationGracePeriodSeconds %d is not at least 5s above tend's grace %v", c.Name, tgps, grace)
			}
		}
	}
	for _, c := range spec.Containers {
		users = append(users, user{"container", c, len(spec.InitContainers)})
	}
	for _, u := range users {
		c := u.c
		if _, ok := tendOf(c); !ok || c.Command[0] == "/tend" {
			continue
		}
		dir := path.Dir(c.Command[0])
		v := mountedAt(c, dir)
		if v == "" {
			add("%s %s: runs %s, but %s is not an emptyDir mount", u.what, c.Name, c.Command[0], dir)
			continue
		}
		// Each initContainer starts after the ones before it, so only
		// those see the copy.
		if i, ok := filledBy[v]; !ok || i >= u.at {
			add("%s %s: runs %s, but no initContainer before it puts tend in volume %s (tend --copy-to %s)", u.what, c.Name, c.Command[0], v, dir)
		}
	}
	return problems
}

// checkDeployment checks a Deployment, its pod template included.
func checkDeployment(d *appsv1.Deployment) []string {
	var problems []string
	if d.Spec.Selector == nil || len(d.Spec.Selector.MatchLabels) == 0 {
		problems = append(problems, "no selector.matchLabels")
	} else {
		for k, v := range d.Spec.Selector.MatchLabels {
			if d.Spec.Template.Labels[k] != v {
				problems = append(problems, fmt.Sprintf("selector %s=%s does not match the pod template's labels", k, v))
			}
		}
	}
	if p := d.Spec.Template.Spec.RestartPolicy; p != "" && p != corev1.RestartPolicyAlways {
		problems = append(problems, fmt.Sprintf("restartPolicy %s in a Deployment", p))
	}
	probed := slices.ContainsFunc(d.Spec.Template.Spec.Containers, func(c corev1.Container) bool {
		cfg, ok := tendOf(c)
		return ok && cfg["status-addr"] != "" && c.LivenessProbe != nil && c.ReadinessProbe != nil
	})
	if !probed {
		problems = append(problems, "no container under tend with --status-addr and liveness and readiness probes")
	}
	problems = append(problems, checkInjection(d.Spec.Template.Spec)...)
	return append(problems, checkPod("Deployment", d.Spec.Template.Spec)...)
}

// jobSlack is time a Job's deadline leaves beyond its pods' worst case, for
// scheduling, image pulls and start-up.
const jobSlack = 60 * time.Second

// checkJob checks that a Job's limits back up tend's: tend's deadline and
// restarts act first, and the Job fails fast on statuses a retry cannot fix.
func checkJob(j *batchv1.Job) []string {
	problems := append(checkPod("Job", j.Spec.Template.Spec), checkInjection(j.Spec.Template.Spec)...)
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	spec := j.Spec.Template.Spec
	if spec.RestartPolicy != corev1.RestartPolicyNever {
		add("restartPolicy %q; want Never: tend restarts in the pod, and podFailurePolicy needs Never", spec.RestartPolicy)
	}
	backoff := int32(6) // the API's default
	if j.Spec.BackoffLimit != nil {
		backoff = *j.Spec.BackoffLimit
	}
	if j.Spec.ActiveDeadlineSeconds == nil {
		add("no activeDeadlineSeconds")
	}
	for _, c := range spec.Containers {
		cfg, ok := tendOf(c)
		if !ok {
			continue
		}
		deadline, err1 := cfg.duration("deadline", 0)
		grace, err2 := cfg.duration("grace", tendDefaultGrace)
		if err1 != nil || err2 != nil {
			continue // reported by checkPod
		}
		if deadline == 0 {
			add("container %s: no tend --deadline: the Job's activeDeadlineSeconds would kill it without a graceful stop", c.Name)
		} else if j.Spec.ActiveDeadlineSeconds != nil {
			need := time.Duration(backoff+1)*(deadline+grace) + jobSlack
			if got := time.Duration(*j.Spec.ActiveDeadlineSeconds) * time.Second; got < need {
				add("container %s: activeDeadlineSeconds %v is below (backoffLimit+1)*(deadline+grace)+%v = %v: the Job would cut tend's last run short",
					c.Name, got, jobSlack, need)
			}
		}
		if cfg.restart() != "no" {
			maxRestarts := 10
			if v, ok := cfg["max-restarts"]; ok {
				maxRestarts, _ = strconv.Atoi(v)
			}
			if maxRestarts == 0 {
				add("container %s: tend --max-restarts=0 (unlimited) in a Job", c.Name)
			}
			if runs := int(backoff+1) * (maxRestarts + 1); backoff > 2 || runs > 12 {
				add("container %s: backoffLimit %d with tend --max-restarts=%d gives up to %d runs: tend already retries, keep backoffLimit at most 2",
					c.Name, backoff, maxRestarts, runs)
			}
		}
		// Statuses a retry cannot fix: tend's deadline, usage errors, a
		// command that is not executable or not found.
		failFast := map[int32]bool{}
		if pfp := j.Spec.PodFailurePolicy; pfp != nil {
			for _, r := range pfp.Rules {
				if r.Action == batchv1.PodFailurePolicyActionFailJob && r.OnExitCodes != nil &&
					r.OnExitCodes.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn &&
					(r.OnExitCodes.ContainerName == nil || *r.OnExitCodes.ContainerName == c.Name) {
					for _, v := range r.OnExitCodes.Values {
						failFast[v] = true
					}
				}
			}
		}
		for _, code := range []int32{124, 125, 126, 127} {
			if !failFast[code] {
				add("container %s: podFailurePolicy does not fail the Job on tend's exit status %d", c.Name, code)
			}
		}
	}
	return problems
}

// checkService checks that a Service selects pods and names its ports.
func checkService(s *corev1.Service) []string {
	var problems []string
	if len(s.Spec.Selector) == 0 {
		problems = append(problems, "no selector")
	}
	if len(s.Spec.Ports) == 0 {
		problems = append(problems, "no ports")
	}
	return problems
}

func check(m manifest) []string {
	switch o := m.obj.(type) {
	case *appsv1.Deployment:
		return checkDeployment(o)
	case *batchv1.Job:
		return checkJob(o)
	case *corev1.Service:
		return checkService(o)
	}
	return []string{fmt.Sprintf("no rules for %T", m.obj)}
}

func TestKubernetesManifests(t *testing.T) {
	manifests := loadManifests(t)
	var deployments, jobs, sharedPID, injected, sidecars int
	for _, m := range manifests {
		for _, p := range check(m) {
			t.Errorf("%s: %s", m.where, p)
		}
		switch o := m.obj.(type) {
		case *appsv1.Deployment:
			deployments++
			if s := o.Spec.Template.Spec.ShareProcessNamespace; s != nil && *s {
				sharedPID++
			}
			for _, c := range o.Spec.Template.Spec.InitContainers {
				if _, ok := copyDir(c); ok {
					injected++
				}
				if _, ok := tendOf(c); ok && isSidecar(c) {
					sidecars++
				}
			}
		case *batchv1.Job:
			jobs++
		}
	}
	if deployments == 0 || jobs == 0 || sharedPID == 0 {
		t.Errorf("want at least one Deployment, one Job and one shareProcessNamespace workload; have %d, %d, %d",
			deployments, jobs, sharedPID)
	}
	if injected == 0 || sidecars == 0 {
		t.Errorf("want at least one tend --copy-to initContainer and one native sidecar under tend; have %d, %d", injected, sidecars)
	}
}

// TestKubernetesStrictDecode: a misspelled or unknown field is an error, not
// silently dropped (as kubectl apply --validate=strict does).
func TestKubernetesStrictDecode(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr bool
	}{
		{"ok", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n", false},
		{"unknown field", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 2\n", true},
		{"duplicate field", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  name: y\n", true},
		{"wrong type", "apiVersion: batch/v1\nkind: Job\nspec:\n  backoffLimit: two\n", true},
		{"bare pod", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeStrict([]byte(tt.doc))
			if (err != nil) != tt.wantErr {
				t.Errorf("decodeStrict(%q) = %v; wantErr %v", tt.doc, err, tt.wantErr)
			}
		})
	}
}

// TestKubernetesRules: each rule catches a manifest that breaks it.
func TestKubernetesRules(t *testing.T) {
	var dep *appsv1.Deployment
	var job *batchv1.Job
	for _, m := range loadManifests(t) {
		switch o := m.obj.(type) {
		case *appsv1.Deployment:
			if dep == nil && (o.Spec.Template.Spec.ShareProcessNamespace == nil || !*o.Spec.Template.Spec.ShareProcessNamespace) {
				dep = o
			}
		case *batchv1.Job:
			job = o
		}
	}
	if dep == nil || job == nil {
		t.Fatal("need a Deployment without a shared PID namespace and a Job")
	}
	setEnv := func(c *corev1.Container, name, value string) {
		for i := range c.Env {
			if c.Env[i].Name == name {
				c.Env[i].Value = value
				return
			}
		}
		c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
	}
	i64 := func(v int64) *int64 { return &v }
	i32 := func(v int32) *int32 { return &v }
	yes := true

	depTests := []struct {
		name   string
		mutate func(d *appsv1.Deployment)
		want   string
	}{
		{"grace above termination grace", func(d *appsv1.Deployment) { d.Spec.Template.Spec.TerminationGracePeriodSeconds = i64(20) }, "terminationGracePeriodSeconds"},
		{"default grace period", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.TerminationGracePeriodSeconds = nil
			setEnv(&d.Spec.Template.Spec.Containers[0], "TEND_GRACE", "28s")
		}, "terminationGracePeriodSeconds 30"},
		{"flag beats variable", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].Command = []string{"/tend", "--grace", "1m", "--"}
		}, "grace 1m0s"},
		{"latest", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].Image = "registry.example.com/web:latest"
		}, "not pinned"},
		{"untagged", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "web" }, "not pinned"},
		{"no resources", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].Resources = corev1.ResourceRequirements{}
		}, "no cpu request"},
		{"writable root", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem = nil
		}, "readOnlyRootFilesystem"},
		{"no /tmp", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].VolumeMounts = nil }, "emptyDir at /tmp"},
		{"root", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.SecurityContext = nil
			d.Spec.Template.Spec.Containers[0].SecurityContext.RunAsNonRoot = nil
		}, "runAsNonRoot"},
		{"liveness elsewhere", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].LivenessProbe.HTTPGet.Path = "/live"
		}, "want tend's /healthz"},
		{"readiness on the app port", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = intstr.FromString("http")
		}, "not tend's status port"},
		{"loopback status", func(d *appsv1.Deployment) {
			setEnv(&d.Spec.Template.Spec.Containers[0], "TEND_STATUS_ADDR", "127.0.0.1:9090")
		}, "loopback"},
		{"tend restarts", func(d *appsv1.Deployment) { setEnv(&d.Spec.Template.Spec.Containers[0], "TEND_RESTART", "always") }, "let the kubelet restart"},
		{"not tend", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Command = []string{"/app"} }, "no container runs tend"},
		{"no subreaper in shared pid", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.ShareProcessNamespace = &yes
			setEnv(&d.Spec.Template.Spec.Containers[0], "TEND_NO_SUBREAPER", "true")
		}, "subreaper"},
		{"stop delay not below the grace", func(d *appsv1.Deployment) {
			setEnv(&d.Spec.Template.Spec.Containers[0], "TEND_STOP_DELAY", "20s")
			setEnv(&d.Spec.Template.Spec.Containers[0], "TEND_GRACE", "20s")
		}, "stop-delay 20s is not below its grace 20s"},
		{"bad stop delay", func(d *appsv1.Deployment) { setEnv(&d.Spec.Template.Spec.Containers[0], "TEND_STOP_DELAY", "5x") }, "stop-delay"},
		{"preStop sleep eats the period", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 10}}}
		}, "preStop sleep 10s plus tend's grace 20s"},
		{"bad duration", func(d *appsv1.Deployment) { setEnv(&d.Spec.Template.Spec.Containers[0], "TEND_HEALTH_INTERVAL", "5") }, "health-interval"},
		{"selector", func(d *appsv1.Deployment) { d.Spec.Template.Labels = map[string]string{"other": "x"} }, "does not match"},
	}
	for _, tt := range depTests {
		t.Run(tt.name, func(t *testing.T) {
			d := dep.DeepCopy()
			tt.mutate(d)
			got := checkDeployment(d)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("checkDeployment after %q = %q; want a problem containing %q", tt.name, got, tt.want)
			}
		})
	}

	jobTests := []struct {
		name   string
		mutate func(j *batchv1.Job)
		want   string
	}{
		{"short deadline", func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = i64(600) }, "activeDeadlineSeconds"},
		{"no deadline", func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = nil }, "no activeDeadlineSeconds"},
		{"no tend deadline", func(j *batchv1.Job) {
			c := &j.Spec.Template.Spec.Containers[0]
			c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "TEND_DEADLINE" })
		}, "no tend --deadline"},
		{"default backoffLimit", func(j *batchv1.Job) { j.Spec.BackoffLimit = nil }, "backoffLimit 6"},
		{"kubelet restarts too", func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure }, "restartPolicy"},
		{"unlimited restarts", func(j *batchv1.Job) { setEnv(&j.Spec.Template.Spec.Containers[0], "TEND_MAX_RESTARTS", "0") }, "unlimited"},
		{"retries usage errors", func(j *batchv1.Job) { j.Spec.PodFailurePolicy = nil }, "exit status 125"},
		{"bigger backoffLimit", func(j *batchv1.Job) { j.Spec.BackoffLimit = i32(4) }, "at most 2"},
	}
	for _, tt := range jobTests {
		t.Run(tt.name, func(t *testing.T) {
			j := job.DeepCopy()
			tt.mutate(j)
			got := checkJob(j)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("checkJob after %q = %q; want a problem containing %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestKubernetesImageProblem(t *testing.T) {
	tests := []struct {
		image string
		ok    bool
	}{
		{"registry.example.com/web:1.4.2", true},
		{"web:v2", true},
		{"web:1.4.2-alpine", true},
		{"web@sha256:" + strings.Repeat("0", 64), true},
		{"localhost:5000/web", false},
		{"web:latest", false},
		{"web:stable", false},
		{"web", false},
	}
	for _, tt := range tests {
		if got := imageProblem(tt.image); (got == "") != tt.ok {
			t.Errorf("imageProblem(%q) = %q; want pinned=%v", tt.image, got, tt.ok)
		}
	}
}

// TestKubernetesInjectionRules: each injection rule catches a manifest that
// breaks it.
func TestKubernetesInjectionRules(t *testing.T) {
	var inj *appsv1.Deployment
	for _, m := range loadManifests(t) {
		if d, ok := m.obj.(*appsv1.Deployment); ok && strings.HasPrefix(m.where, "native-sidecar.yaml") {
			inj = d
		}
	}
	if inj == nil {
		t.Fatal("no Deployment in native-sidecar.yaml")
	}
	tests := []struct {
		name   string
		mutate func(s *corev1.PodSpec)
		want   string
	}{
		{"no copy", func(s *corev1.PodSpec) { s.InitContainers = s.InitContainers[1:] }, "no initContainer before it puts tend"},
		{"copy elsewhere", func(s *corev1.PodSpec) { s.InitContainers[0].Command = []string{"/tend", "--copy-to", "/opt"} }, "not an emptyDir mount"},
		{"copy with a command", func(s *corev1.PodSpec) { s.InitContainers[0].Args = []string{"true"} }, "runs no command"},
		{"app without the volume", func(s *corev1.PodSpec) { s.Containers[0].VolumeMounts = s.Containers[0].VolumeMounts[1:] }, "is not an emptyDir mount"},
		{"copy after the sidecar", func(s *corev1.PodSpec) {
			s.InitContainers[0], s.InitContainers[1] = s.InitContainers[1], s.InitContainers[0]
		}, "sidecar log-shipper"},
		{"sidecar grace", func(s *corev1.PodSpec) { s.InitContainers[1].Command = []string{"/tend-bin/tend", "--grace=40s", "--"} }, "sidecar log-shipper: terminationGracePeriodSeconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := inj.DeepCopy()
			tt.mutate(&d.Spec.Template.Spec)
			got := checkDeployment(d)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("checkDeployment after %q = %q; want a problem containing %q", tt.name, got, tt.want)
			}
		})
	}
}
