"""Encodes the first MNIST test images with a GpuAe checkpoint through libgpuae, from Python with ctypes only.

    python3 encode.py LIBGPUAE_SO MODEL_SAFETENSORS T10K_IMAGES [CODES_NPY]

Prints the first code; with CODES_NPY (as `gpuae encode` writes it) checks that the codes are the same bits.
"""
import ctypes as c
import re
import struct
import sys

lib = c.CDLL(sys.argv[1])
lib.gpuae_last_error.restype = c.c_char_p
lib.gpuae_context_create.argtypes = [c.c_char_p, c.c_int32, c.POINTER(c.c_void_p)]
lib.gpuae_context_destroy.argtypes = [c.c_void_p]
lib.gpuae_model_load.argtypes = [c.c_void_p, c.c_char_p, c.POINTER(c.c_void_p)]
lib.gpuae_model_destroy.argtypes = [c.c_void_p]
lib.gpuae_model_code_size.argtypes = [c.c_void_p, c.POINTER(c.c_size_t)]
lib.gpuae_model_encode.argtypes = [c.c_void_p, c.POINTER(c.c_float), c.c_size_t, c.POINTER(c.c_float), c.c_size_t]


def check(status):
    if status != 0:
        raise RuntimeError(f"gpuae: {lib.gpuae_last_error().decode()}")


expected, count = b"", 16
if len(sys.argv) > 4:
    with open(sys.argv[4], "rb") as f:
        npy = f.read()
    header_end = 10 + struct.unpack("<H", npy[8:10])[0]
    expected = npy[header_end:]
    # As many samples as the reference encoded: the CPU GEMM's rounding may depend on the batch's row count.
    count = int(re.search(rb"'shape': \((\d+),", npy[:header_end]).group(1))
with open(sys.argv[3], "rb") as f:
    pixels = f.read()[16:16 + count * 784]
# pixel / 255 rounded once to float32, as GpuAe reads IDX files (a double quotient rounded to float32 is the
# correctly rounded float32 quotient: double has more than twice float's precision)
images = (c.c_float * (count * 784))(*[p / 255.0 for p in pixels])

context, model, code_size = c.c_void_p(), c.c_void_p(), c.c_size_t()
check(lib.gpuae_context_create(b"cpu", 0, c.byref(context)))
try:
    check(lib.gpuae_model_load(context, sys.argv[2].encode(), c.byref(model)))
    check(lib.gpuae_model_code_size(model, c.byref(code_size)))
    codes = (c.c_float * (count * code_size.value))()
    check(lib.gpuae_model_encode(model, images, count, codes, len(codes)))
    print("code of the first test image:", " ".join(f"{v:.4f}" for v in codes[:code_size.value]))
finally:
    lib.gpuae_model_destroy(model)
    lib.gpuae_context_destroy(context)

if expected:
    if bytes(codes) != expected:
        sys.exit("codes differ from gpuae encode's")
    print(f"{count} codes equal gpuae encode's bit for bit")
