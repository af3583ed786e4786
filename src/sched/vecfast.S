/* vecfast.S - moving a uthread's vector registers without XSAVE/XRSTOR. */

/*
 * On this kind of VM `xrstor` alone costs ~110 ns; plain vector moves of
 * the whole AVX-512 register file cost a fraction of that. These are used
 * only for a uthread switched out from the mid path (vcpu.c decides, and
 * falls back to XSAVE whenever x87 state is in use or the CPU lacks what
 * they assume). Area layout: zmm0-31 (64 bytes each), then k0-7.
 *
 * void vec_fast_save_zmm(void *area)      void vec_fast_restore_zmm(const void *area)
 * void vec_fast_save_ymm(void *area)      void vec_fast_restore_ymm(const void *area)
 * void vec_fast_clear_avx512(void)        zmm16-31 and k0-7 to zero
 */
	.text
	.globl vec_fast_save_zmm, vec_fast_restore_zmm
	.globl vec_fast_save_ymm, vec_fast_restore_ymm, vec_fast_clear_avx512

	.p2align 4
vec_fast_save_zmm:
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqu64 %zmm\r, (\r*64)(%rdi)
	.endr
	.irp k, 0,1,2,3,4,5,6,7
	kmovq %k\k, (2048+\k*8)(%rdi)
	.endr
	ret

	.p2align 4
vec_fast_restore_zmm:
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqu64 (\r*64)(%rdi), %zmm\r
	.endr
	.irp k, 0,1,2,3,4,5,6,7
	kmovq (2048+\k*8)(%rdi), %k\k
	.endr
	ret

	.p2align 4
vec_fast_save_ymm:
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu %ymm\r, (\r*64)(%rdi)
	.endr
	ret

	.p2align 4
vec_fast_restore_ymm:
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu (\r*64)(%rdi), %ymm\r
	.endr
	ret

	.p2align 4
vec_fast_clear_avx512:
	.irp r, 16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vpxord %zmm\r, %zmm\r, %zmm\r
	.endr
	.irp k, 0,1,2,3,4,5,6,7
	kxorq %k\k, %k\k, %k\k
	.endr
	ret

	.section .note.GNU-stack,"",@progbits
