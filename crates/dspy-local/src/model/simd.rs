//! Compiling one body for several instruction sets and picking one at run time.

/// Defines a function whose body is compiled for AVX-512, for AVX2 + FMA and for the baseline,
/// and run with the best the process chose (`Isa::detect`). Inside the body, `FMA` is a
/// `const bool`: whether [`madd`] may use fused multiply-adds (a library call without them).
macro_rules! simd_fn {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            #[allow(non_snake_case)]
            fn generic<const FMA: bool>($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx2,fma")]
                unsafe fn avx512($($arg: $ty),*) { generic::<true>($($arg),*) }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) { generic::<true>($($arg),*) }
                match $crate::model::kernels::Isa::detect() {
                    // SAFETY: `Isa::detect` checked these features.
                    $crate::model::kernels::Isa::Avx512Vnni => return unsafe { avx512($($arg),*) },
                    $crate::model::kernels::Isa::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::model::kernels::Isa::Portable => {}
                }
            }
            generic::<false>($($arg),*)
        }
    };
}

pub(crate) use simd_fn;

/// `a * b + c`, fused where the instruction set has it.
#[inline(always)]
pub(crate) fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}
