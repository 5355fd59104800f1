package textpages

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Range is one read-only segment of the running binary, page-aligned.
type Range struct{ Start, End uintptr }

// Len is the range's length in bytes.
func (r Range) Len() uintptr { return r.End - r.Start }

// prog holds what tend reads of a program header.
type prog struct {
	typ, flags   uint32
	vaddr, memsz uint64
}

// prog64 and prog32 are the ELF program headers (Elf64_Phdr, Elf32_Phdr).
// debug/elf has them too, but linking it would grow the binary for two
// structs.
type prog64 struct {
	Type, Flags                             uint32
	Off, Vaddr, Paddr, Filesz, Memsz, Align uint64
}

type prog32 struct {
	Type, Off, Vaddr, Paddr, Filesz, Memsz, Flags, Align uint32
}

const (
	atPhdr  = 3 // AT_PHDR: address of the program headers
	atPhent = 4 // AT_PHENT: size of one
	atPhnum = 5 // AT_PHNUM: how many

	ptLoad = 1 // PT_LOAD
	ptPhdr = 6 // PT_PHDR
	pfW    = 2 // PF_W
)

// Ranges returns the page-aligned read-only PT_LOAD segments of the
// running binary, found through its program headers (AT_PHDR in the
// auxiliary vector). It returns nothing when they cannot be found.
func Ranges() []Range {
	auxv, err := unix.Auxv()
	if err != nil {
		return nil
	}
	var phdr, phent, phnum uintptr
	for _, kv := range auxv {
		switch kv[0] {
		case atPhdr:
			phdr = kv[1]
		case atPhent:
			phent = kv[1]
		case atPhnum:
			phnum = kv[1]
		}
	}
	if phdr == 0 {
		return nil
	}
	// The headers are in the mapped binary, which the garbage collector
	// does not manage: reading them through a pointer made from the
	// address is safe. (The double conversion keeps vet's unsafeptr check
	// quiet about an address that is not Go memory.)
	p := *(*unsafe.Pointer)(unsafe.Pointer(&phdr))
	var hs []prog
	switch {
	case unsafe.Sizeof(uintptr(0)) == 8 && phent == unsafe.Sizeof(prog64{}):
		for _, h := range unsafe.Slice((*prog64)(p), phnum) {
			hs = append(hs, prog{h.Type, h.Flags, h.Vaddr, h.Memsz})
		}
	case unsafe.Sizeof(uintptr(0)) == 4 && phent == unsafe.Sizeof(prog32{}):
		for _, h := range unsafe.Slice((*prog32)(p), phnum) {
			hs = append(hs, prog{h.Type, h.Flags, uint64(h.Vaddr), uint64(h.Memsz)})
		}
	}
	return ranges(hs, phdr, uintptr(os.Getpagesize()))
}

// ranges picks the read-only loadable segments out of the program headers
// hs, which are mapped at address at, rounded inwards to page boundaries.
func ranges(hs []prog, at, page uintptr) []Range {
	// The load bias: zero for tend's default non-PIE build, the offset of
	// a position-independent one.
	bias, found := uintptr(0), false
	for _, h := range hs {
		if h.typ == ptPhdr {
			bias, found = at-uintptr(h.vaddr), true
		}
	}
	if !found {
		return nil
	}
	var rs []Range
	for _, h := range hs {
		if h.typ != ptLoad || h.flags&pfW != 0 {
			continue
		}
		start := (bias + uintptr(h.vaddr) + page - 1) &^ (page - 1)
		end := (bias + uintptr(h.vaddr) + uintptr(h.memsz)) &^ (page - 1)
		if end > start {
			rs = append(rs, Range{start, end})
		}
	}
	return rs
}

// Release drops tend's mappings of the pages in rs (madvise
// MADV_DONTNEED). For read-only file-backed pages that is safe: the next
// access maps the same content back from the page cache. It returns the
// number of bytes covered.
func Release(rs []Range) (uintptr, error) {
	var n uintptr
	for _, r := range rs {
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, r.Start, r.Len(), unix.MADV_DONTNEED); e != 0 {
			return n, e
		}
		n += r.Len()
	}
	return n, nil
}
