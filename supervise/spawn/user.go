package spawn

import (
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// identity is what --user resolves to.
type identity struct {
	cred *syscall.Credential
	home string
}

// noID is (uid_t)-1, which setuid(2) and setgid(2) refuse.
const noID = 1<<32 - 1

// resolveUser reads USER[:GROUP], each a name or a number, against the
// image's /etc/passwd and /etc/group (os/user in pure Go, as tend is built
// without cgo). Like gosu and su-exec, a user given alone brings its primary
// group and its supplementary groups, and HOME is its home directory. A
// number unknown to /etc/passwd is used as it is, with its own number as the
// group and HOME=/.
func resolveUser(spec string) (*identity, error) {
	name, group, hasGroup := strings.Cut(spec, ":")
	if name == "" {
		return nil, optionf("--user: invalid value %q: no user", spec)
	}
	if hasGroup && group == "" {
		return nil, optionf("--user: invalid value %q: empty group", spec)
	}
	id := &identity{cred: &syscall.Credential{}, home: "/"}
	var u *user.User
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		if n == noID {
			return nil, optionf("--user: invalid user id %q", name)
		}
		id.cred.Uid = uint32(n)
		id.cred.Gid = uint32(n)
		u, _ = user.LookupId(name)
	} else {
		u, err = user.Lookup(name)
		if err != nil {
			return nil, optionf("--user: unknown user %q", name)
		}
	}
	if u != nil {
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			return nil, optionf("--user: user %q has a non-numeric id", name)
		}
		id.cred.Uid, id.cred.Gid = uint32(uid), uint32(gid)
		if u.HomeDir != "" {
			id.home = u.HomeDir
		}
	}
	if hasGroup {
		if n, err := strconv.ParseUint(group, 10, 32); err == nil {
			if n == noID {
				return nil, optionf("--user: invalid group id %q", group)
			}
			id.cred.Gid = uint32(n)
		} else {
			g, err := user.LookupGroup(group)
			if err != nil {
				return nil, optionf("--user: unknown group %q", group)
			}
			n, err := strconv.ParseUint(g.Gid, 10, 32)
			if err != nil {
				return nil, optionf("--user: group %q has a non-numeric id", group)
			}
			id.cred.Gid = uint32(n)
		}
	}
	// Supplementary groups: the user's own when the group was not forced,
	// otherwise just the chosen group. Never the caller's (root's) groups.
	id.cred.Groups = []uint32{id.cred.Gid}
	if u != nil && !hasGroup {
		if ids, err := u.GroupIds(); err == nil {
			for _, s := range ids {
				if n, err := strconv.ParseUint(s, 10, 32); err == nil && uint32(n) != id.cred.Gid {
					id.cred.Groups = append(id.cred.Groups, uint32(n))
				}
			}
		}
	}
	return id, nil
}
