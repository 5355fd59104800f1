package spawn

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// passwdEntry reads name's uid, gid and home from /etc/passwd, the file
// resolveUser reads through os/user.
func passwdEntry(t *testing.T, name string) (uid, gid uint32, home string, ok bool) {
	t.Helper()
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return 0, 0, "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), ":")
		if len(fs) < 7 || fs[0] != name {
			continue
		}
		u, err1 := strconv.ParseUint(fs[2], 10, 32)
		g, err2 := strconv.ParseUint(fs[3], 10, 32)
		if err1 != nil || err2 != nil {
			return 0, 0, "", false
		}
		return uint32(u), uint32(g), fs[5], true
	}
	return 0, 0, "", false
}

func TestResolveUser(t *testing.T) {
	rootUID, rootGID, rootHome, ok := passwdEntry(t, "root")
	if !ok || rootUID != 0 {
		t.Skip("/etc/passwd has no root entry with uid 0")
	}
	tests := []struct {
		name     string
		in       string
		need     string // skip unless /etc/passwd has this user
		wantUID  uint32
		wantGID  uint32
		wantHome string
		wantErr  bool
	}{
		{"uid 0", "0", "", 0, rootGID, rootHome, false},
		{"root", "root", "", 0, rootGID, rootHome, false},
		{"root:0", "root:0", "", 0, 0, rootHome, false},
		{"0:0", "0:0", "", 0, 0, rootHome, false},
		{"numbers", "65534:65534", "", 65534, 65534, "", false},
		{"group number overrides", "0:4242", "", 0, 4242, rootHome, false},
		{"unknown uid", "4242", "", 4242, 4242, "/", false},
		{"unknown uid and gid", "4242:4343", "", 4242, 4343, "/", false},
		{"largest usable uid", "4294967294", "", 4294967294, 4294967294, "", false},
		{"nobody", "nobody", "nobody", 0, 0, "", false},

		{"unknown user", "no-such-user-tend", "", 0, 0, "", true},
		{"unknown group", "root:no-such-group-tend", "", 0, 0, "", true},
		{"uid with unknown group", "0:no-such-group-tend", "", 0, 0, "", true},
		{"only colon", ":", "", 0, 0, "", true},
		{"empty", "", "", 0, 0, "", true},
		{"empty user", ":0", "", 0, 0, "", true},
		{"empty group", "root:", "", 0, 0, "", true},
		{"uid too large", "4294967296", "", 0, 0, "", true},
		{"negative uid", "-1", "", 0, 0, "", true},
		// (uid_t)-1 and (gid_t)-1 mean "unchanged" to the set*id calls;
		// setuid(2) refuses them with EINVAL after the fork, so the error
		// must come here, naming the value.
		{"uid (uid_t)-1", "4294967295", "", 0, 0, "", true},
		{"gid (gid_t)-1", "0:4294967295", "", 0, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.need != "" {
				uid, gid, home, ok := passwdEntry(t, tt.need)
				if !ok {
					t.Skipf("/etc/passwd has no %s entry", tt.need)
				}
				tt.wantUID, tt.wantGID, tt.wantHome = uid, gid, home
			}
			if tt.wantHome == "" && !tt.wantErr {
				// A number known to /etc/passwd brings its entry's home.
				tt.wantHome = "/"
				if _, _, home, ok := lookupUID(t, tt.wantUID); ok && home != "" {
					tt.wantHome = home
				}
			}
			id, err := resolveUser(tt.in)
			if tt.wantErr {
				var ue *OptionError
				if err == nil || !errors.As(err, &ue) {
					t.Fatalf("resolveUser(%q) = %v, %v; want a *OptionError", tt.in, id, err)
				}
				if !strings.HasPrefix(err.Error(), "--user: ") {
					t.Errorf("resolveUser(%q) error %q; want it to start with \"--user: \"", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolveUser(%q) = %v; want %d:%d", tt.in, err, tt.wantUID, tt.wantGID)
			}
			c := id.cred
			if c.Uid != tt.wantUID || c.Gid != tt.wantGID || id.home != tt.wantHome {
				t.Errorf("resolveUser(%q) = uid %d gid %d home %q; want uid %d gid %d home %q", tt.in, c.Uid, c.Gid, id.home, tt.wantUID, tt.wantGID, tt.wantHome)
			}
			// The chosen group comes first, once; never the caller's groups.
			if len(c.Groups) == 0 || c.Groups[0] != c.Gid || slices.Contains(c.Groups[1:], c.Gid) {
				t.Errorf("resolveUser(%q) groups %v; want %d first and only once", tt.in, c.Groups, c.Gid)
			}
			if strings.Contains(tt.in, ":") && len(c.Groups) != 1 {
				t.Errorf("resolveUser(%q) groups %v; want only the given group %d", tt.in, c.Groups, c.Gid)
			}
			if got, want := fmt.Sprintf("%d:%d", id.cred.Uid, id.cred.Gid), fmt.Sprintf("%d:%d", tt.wantUID, tt.wantGID); got != want {
				t.Errorf("resolveUser(%q) = uid:gid %s; want %s", tt.in, got, want)
			}
		})
	}
}

// lookupUID finds the /etc/passwd entry with uid.
func lookupUID(t *testing.T, uid uint32) (name string, gid uint32, home string, ok bool) {
	t.Helper()
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return "", 0, "", false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		fs := strings.Split(line, ":")
		if len(fs) < 7 || fs[2] != strconv.FormatUint(uint64(uid), 10) {
			continue
		}
		g, err := strconv.ParseUint(fs[3], 10, 32)
		if err != nil {
			return "", 0, "", false
		}
		return fs[0], uint32(g), fs[5], true
	}
	return "", 0, "", false
}
