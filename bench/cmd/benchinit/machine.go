package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// describe records the machine, the settings and each init's binary.
func (b *bench) describe() {
	r := b.res
	r.Date = time.Now().UTC().Format("2006-01-02 15:04 UTC")
	cpu, n := "", 0
	if c, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(c)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				n++
			}
		}
		if strings.Contains(string(c), " hypervisor") {
			cpu += " (virtual machine: hypervisor flag set)"
		}
	}
	mem := ""
	if v, err := statusFields("/proc/meminfo", "MemTotal"); err == nil {
		mem = fmt.Sprintf("%.1f GiB", float64(v[0])/(1<<20))
	}
	var u syscall.Utsname
	_ = syscall.Uname(&u)
	osName := ""
	if c, err := os.ReadFile("/etc/os-release"); err == nil {
		for line := range strings.Lines(string(c)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "PRETTY_NAME="); ok {
				osName = strings.Trim(v, `"`)
			}
		}
	}
	r.Machine = []KV{
		{"CPU", fmt.Sprintf("%d × %s", n, cpu)},
		{"memory", mem},
		{"kernel", fmt.Sprintf("Linux %s %s", cstr(u.Release[:]), cstr(u.Machine[:]))},
		{"OS", osName},
		{"bench driver", runtime.Version()},
	}
	r.Settings = []KV{
		{"rounds", fmt.Sprint(b.rounds)},
		{"start-up runs per init per round", fmt.Sprint(b.runs)},
		{"signal round trips per init per round", fmt.Sprint(b.rtts)},
		{"orphan storms", strings.Trim(fmt.Sprint(b.orphans), "[]")},
		{"idle window", fmt.Sprintf("%gs", b.idle.Seconds())},
		{"health probes timed per kind", fmt.Sprint(b.probes)},
	}
	wd, _ := os.Getwd()
	for _, s := range b.subs {
		// A binary built in the tree is named relative to it: results.md
		// says where it came from, not where this checkout lives.
		info := SubjectInfo{Name: s.name, Path: s.path}
		if rel, err := filepath.Rel(wd, s.path); wd != "" && err == nil && !strings.HasPrefix(rel, "..") {
			info.Path = rel
		}
		if st, err := os.Stat(s.path); err == nil {
			info.Bytes = st.Size()
		}
		info.Static, _ = isStatic(s.path)
		info.Version = version(s)
		r.Subjects = append(r.Subjects, info)
	}
}

// version asks dpkg for a peer's package version and tend for its own; the
// Go floor's is the Go release it was built with.
func version(s subject) string {
	if s.name == goFloor {
		v := "?"
		if bi, err := buildinfo.ReadFile(s.path); err == nil {
			v = bi.GoVersion
		}
		return "reference, bench/cmd/floorinit built with " + v
	}
	if s.name == "tend" {
		out, err := exec.Command(s.path, "--version").Output()
		if err != nil {
			return "?"
		}
		return strings.TrimSpace(string(out))
	}
	pkg := s.name
	if pkg == "tini-static" {
		pkg = "tini"
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	if err != nil {
		return "?"
	}
	return "Debian " + pkg + " " + strings.TrimSpace(string(out))
}

func cstr(b []int8) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}
