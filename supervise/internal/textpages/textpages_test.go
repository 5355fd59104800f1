package textpages

import (
	"bufio"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func TestRanges(t *testing.T) {
	const page = 0x1000
	phdr := func(vaddr uint64) prog { return prog{typ: ptPhdr, flags: 4, vaddr: vaddr} }
	load := func(flags uint32, vaddr, memsz uint64) prog {
		return prog{typ: ptLoad, flags: flags, vaddr: vaddr, memsz: memsz}
	}
	const r, rx, rw = 4, 5, 6
	tests := []struct {
		name string
		hs   []prog
		at   uintptr
		want []Range
	}{
		{
			name: "static, as Go links tend: text and rodata, not data",
			hs:   []prog{phdr(0x400040), load(rx, 0x400000, 0x22b000), load(r, 0x62b000, 0x27d8a0), load(rw, 0x8a9000, 0x58000)},
			at:   0x400040,
			want: []Range{{0x400000, 0x62b000}, {0x62b000, 0x8a8000}},
		},
		{
			name: "position-independent: shifted by the load bias",
			hs:   []prog{phdr(0x40), load(r, 0, 0x1800), load(rx, 0x2000, 0x3000), load(rw, 0x6000, 0x100)},
			at:   0x7f000040,
			want: []Range{{0x7f000000, 0x7f001000}, {0x7f002000, 0x7f005000}},
		},
		{
			name: "rounded inwards: a segment within one page gives nothing",
			hs:   []prog{phdr(0x400040), load(rx, 0x400100, 0x2f00), load(r, 0x403100, 0x800)},
			at:   0x400040,
			want: []Range{{0x401000, 0x403000}},
		},
		{
			name: "no PT_PHDR: the bias is unknown, nothing",
			hs:   []prog{load(rx, 0x400000, 0x10000)},
			at:   0x400040,
			want: nil,
		},
		{
			name: "writable and executable: left alone",
			hs:   []prog{phdr(0x400040), load(rw|1, 0x400000, 0x10000)},
			at:   0x400040,
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ranges(tt.hs, tt.at, page); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ranges = %#x; want %#x", got, tt.want)
			}
		})
	}
}

var writable = []byte("data, not rodata")

// TestRangesOfThisBinary: the running binary's ranges hold its code and
// its read-only data, and none of its writable data.
func TestRangesOfThisBinary(t *testing.T) {
	rs := Ranges()
	if len(rs) == 0 {
		t.Fatal("Ranges() found no read-only segment in the test binary")
	}
	in := func(addr uintptr) bool {
		for _, r := range rs {
			if r.Start <= addr && addr < r.End {
				return true
			}
		}
		return false
	}
	if pc := reflect.ValueOf(TestRangesOfThisBinary).Pointer(); !in(pc) {
		t.Errorf("this test's code at %#x is in none of %#x", pc, rs)
	}
	if s := uintptr(unsafe.Pointer(unsafe.StringData("a read-only string"))); !in(s) {
		t.Errorf("a string constant at %#x is in none of %#x", s, rs)
	}
	if w := uintptr(unsafe.Pointer(&writable[0])); in(w) {
		t.Errorf("writable data at %#x is in %#x", w, rs)
	}
}

// TestRelease: after Release, the binary's read-only pages are mostly no
// longer mapped (smaps' Rss of those mappings drops), and the code and
// constants read back the same.
func TestRelease(t *testing.T) {
	rs := Ranges()
	if len(rs) == 0 {
		t.Fatal("Ranges() found no read-only segment in the test binary")
	}
	const text = "a constant that must read back the same after Release"
	before := mappedKiB(t, rs)
	n, err := Release(rs)
	if err != nil {
		t.Fatalf("Release: %v", err)
	}
	after := mappedKiB(t, rs)
	var total uintptr
	for _, r := range rs {
		total += r.Len()
	}
	if n != total {
		t.Errorf("Release covered %d bytes; want %d", n, total)
	}
	if after >= before {
		t.Errorf("mapped read-only pages: %d KiB before Release, %d after; want fewer", before, after)
	}
	if got := strings.ToUpper(text); got != "A CONSTANT THAT MUST READ BACK THE SAME AFTER RELEASE" {
		t.Errorf("after Release: %q", got)
	}
}

// mappedKiB sums smaps' Rss over the mappings that overlap rs.
func mappedKiB(t *testing.T, rs []Range) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatalf("smaps: %v", err)
	}
	defer f.Close()
	sum, counting := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && len(fields) >= 5 {
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				counting = false
				for _, r := range rs {
					if uintptr(a) < r.End && r.Start < uintptr(b) {
						counting = true
					}
				}
				continue
			}
		}
		if counting && fields[0] == "Rss:" {
			kb, _ := strconv.Atoi(fields[1])
			sum += kb
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("smaps: %v", err)
	}
	return sum
}
