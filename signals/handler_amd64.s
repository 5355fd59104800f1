#include "textflag.h"

// handler is tend's signal handler, installed with rt_sigaction for every
// signal tend forwards or reaps on (see handler.go). The kernel calls it
// as a C function: DI is the signal, SI the siginfo, DX the ucontext. It
// runs on the thread's signal stack (SA_ONSTACK: every Go thread has
// one) and may clobber any register: rt_sigreturn restores them all. It
// calls no Go code, so it needs no g and can interrupt anything.
//
// A fault the kernel raised (si_code > 0 on a signal in chain) goes on to
// the Go runtime's own handler, which turns it into a panic or a crash, as
// if tend's handler were not there. A SIGPIPE that tend's own write raised
// (SI_USER from tend's own pid) is dropped. A signal the event loop
// forwards unchanged (directTo, see direct.go) is sent straight to
// directTarget with kill(2), unless there is none. Anything else is counted in
// counts[sig], its bit set in pending, and, unless a wake-up is already
// on its way (armed), the reader is woken by an 8-byte write to wakeFD.
TEXT ·handler(SB),NOSPLIT|NOFRAME,$0
	MOVL	DI, AX
	CMPL	AX, $64
	JHI	done
	LEAQ	·chain(SB), BX
	MOVQ	(BX)(AX*8), BX
	TESTQ	BX, BX
	JZ	own
	MOVL	8(SI), CX	// si_code
	CMPL	CX, $0
	JLE	own	// SI_USER (0) or sent with sigqueue/tgkill (< 0)
	JMP	BX	// the runtime's handler, with DI, SI and DX as they came
own:
	CMPL	AX, $13	// SIGPIPE
	JNE	direct
	MOVL	8(SI), CX
	TESTL	CX, CX
	JNZ	direct
	MOVL	16(SI), CX	// si_pid
	CMPL	CX, ·selfPID(SB)
	JEQ	done
direct:
	LEAQ	·directTo(SB), BX
	MOVL	(BX)(AX*4), R8	// the signal to forward, 0 for none
	TESTL	R8, R8
	JZ	count
	LOCK
	INCL	·directBusy(SB)
	MOVL	·directTarget(SB), R9
	TESTL	R9, R9
	JZ	idle
	MOVQ	$62, AX	// SYS_kill
	MOVLQSX	R9, DI
	MOVL	R8, SI
	SYSCALL
	CMPQ	AX, $-3	// ESRCH
	JNE	sent
	TESTL	R9, R9
	JNS	sent
	NEGL	R9	// the group is gone: the child alone, as Send does
	MOVQ	$62, AX
	MOVLQSX	R9, DI
	MOVL	R8, SI
	SYSCALL
sent:
	LOCK
	DECL	·directBusy(SB)
	LEAQ	·directCount(SB), BX
	LOCK
	INCQ	(BX)(R8*8)
	RET
idle:
	LOCK
	DECL	·directBusy(SB)	// no target: on to the reader, AX still the signal
count:
	LEAQ	·counts(SB), BX
	LOCK
	INCL	(BX)(AX*4)
	LEAQ	-1(AX), CX
	MOVQ	$1, DX
	SHLQ	CX, DX
	LEAQ	·pending(SB), BX
	LOCK
	ORQ	DX, (BX)
	MOVL	$1, CX
	XCHGL	CX, ·armed(SB)
	TESTL	CX, CX
	JNZ	done
	MOVLQSX	·wakeFD(SB), DI
	TESTQ	DI, DI
	JS	done
	MOVQ	$1, AX	// SYS_write
	LEAQ	·wakeOne(SB), SI
	MOVQ	$8, DX
	SYSCALL
done:
	RET

// restorer returns from a handler: the kernel's sa_restorer on amd64.
TEXT ·restorer(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$15, AX	// SYS_rt_sigreturn
	SYSCALL
	INT	$3	// not reached

// func handlerAddrs() (h, r uintptr): the entry addresses of handler and
// restorer themselves (a Go func value of an assembly function would point
// to its ABI wrapper instead).
TEXT ·handlerAddrs(SB),NOSPLIT,$0-16
	LEAQ	·handler(SB), AX
	MOVQ	AX, h+0(FP)
	LEAQ	·restorer(SB), AX
	MOVQ	AX, r+8(FP)
	RET
