//go:build amd64 && !purego

package kernels

// cpuid executes the CPUID instruction with the given leaf (EAX) and sub-leaf (ECX).
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// xgetbv reads the extended control register XCR0.
func xgetbv() (eax, edx uint32)

// hasAVX2FMA reports whether the CPU and the operating system support AVX2 and FMA3:
// the CPUID feature bits plus the OS saving the YMM state (OSXSAVE and XCR0 bits 1–2).
var hasAVX2FMA = detectAVX2FMA()

func detectAVX2FMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	return ebx7&avx2 != 0
}

// hasAVX512 reports whether the CPU and the operating system support AVX-512F on top
// of AVX2 and FMA: the CPUID bit plus the OS saving the opmask and ZMM state (XCR0
// bits 5–7).
var hasAVX512 = hasAVX2FMA && detectAVX512()

func detectAVX512() bool {
	if xcr0, _ := xgetbv(); xcr0&0xe6 != 0xe6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx512f = 1 << 16
	return ebx7&avx512f != 0
}
