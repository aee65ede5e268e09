"""Trains dense32 on MNIST through libgpuae from Python with ctypes only, and writes the codes of test images.

    python3 train.py LIBGPUAE_SO MNIST_DIR [--samples N] [--epochs E] [--seed S] [--codes C] [--backend B]
                     [--out CODES.npy] [--expect CODES.npy]

MNIST_DIR holds the uncompressed IDX files (~/.cache/gpuae/mnist). A progress callback prints each tenth of an epoch
(a callback returning nonzero would cancel the epoch). With --expect (codes.npy written by `gpuae encode` for a
`gpuae train` run of the same seed and samples, on the CPU) the codes must be the same bits.
"""
import argparse
import ctypes as c
import struct
import sys

parser = argparse.ArgumentParser()
parser.add_argument("library")
parser.add_argument("mnist")
parser.add_argument("--samples", type=int, default=2048)
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--codes", type=int, default=300)
parser.add_argument("--backend", default="cpu")
parser.add_argument("--out")
parser.add_argument("--expect")
args = parser.parse_args()

lib = c.CDLL(args.library)
handle, size, floats = c.c_void_p, c.c_size_t, c.POINTER(c.c_float)
PROGRESS = c.CFUNCTYPE(c.c_int, c.c_void_p, c.c_uint64, c.c_uint64)
for name, argtypes in {
    "gpuae_context_create": [c.c_char_p, c.c_int32, c.POINTER(handle)],
    "gpuae_context_destroy": [handle],
    "gpuae_model_create_preset": [handle, c.c_char_p, c.c_int32, c.POINTER(handle)],
    "gpuae_model_destroy": [handle],
    "gpuae_model_code_size": [handle, c.POINTER(size)],
    "gpuae_model_encode": [handle, floats, size, floats, size],
    "gpuae_trainer_create_json": [handle, c.c_char_p, c.POINTER(handle)],
    "gpuae_trainer_destroy": [handle],
    "gpuae_trainer_epoch": [handle, floats, size, PROGRESS, c.c_void_p, c.POINTER(c.c_double)],
    "gpuae_trainer_evaluate": [handle, floats, size, c.POINTER(c.c_double), c.POINTER(c.c_double)],
}.items():
    getattr(lib, name).argtypes = argtypes
lib.gpuae_last_error.restype = c.c_char_p
lib.gpuae_api_version.restype = c.c_uint32


def check(status):
    if status != 0:
        raise RuntimeError(f"gpuae: {lib.gpuae_last_error().decode()} (status {status})")


def images(name, count):
    """The first `count` images of an IDX file as float32 pixel / 255 (rounded once, as GpuAe reads MNIST)."""
    with open(f"{args.mnist}/{name}", "rb") as f:
        magic, total, rows, columns = struct.unpack(">IIII", f.read(16))
        if magic != 0x803 or (rows, columns) != (28, 28) or count > total:
            sys.exit(f"{args.mnist}/{name}: not an IDX file of at least {count} 28x28 images")
        return (c.c_float * (count * 784))(*[p / 255.0 for p in f.read(count * 784)])


def write_npy(path, values, rows, columns):
    """A float32 matrix as NumPy .npy 1.0, header padded so that the data starts at a multiple of 64."""
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}"
    header += " " * ((10 + len(header) + 1 + 63) // 64 * 64 - 10 - len(header) - 1) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(values))


if lib.gpuae_api_version() < 2:
    sys.exit("libgpuae is too old: training needs API level 2")
train, test = images("train-images-idx3-ubyte", args.samples), images("t10k-images-idx3-ubyte", 10000)


@PROGRESS
def progress(user_data, step, steps):
    if step * 10 // steps != (step - 1) * 10 // steps:
        print(f"\r  step {step}/{steps}", end="\n" if step == steps else "", file=sys.stderr, flush=True)
    return 0  # nonzero: cancel the epoch (gpuae_trainer_epoch then returns GPUAE_ERROR_CANCELLED = 9)


context, model, trainer = handle(), handle(), handle()
check(lib.gpuae_context_create(args.backend.encode(), 0, c.byref(context)))
try:
    check(lib.gpuae_model_create_preset(context, b"dense32", args.seed, c.byref(model)))
    check(lib.gpuae_trainer_create_json(model, b"{}", c.byref(trainer)))  # {}: the preset's recipe unchanged
    for epoch in range(1, args.epochs + 1):
        loss, val_loss, val_mse = c.c_double(), c.c_double(), c.c_double()
        check(lib.gpuae_trainer_epoch(trainer, train, args.samples, progress, None, c.byref(loss)))
        check(lib.gpuae_trainer_evaluate(trainer, test, 10000, c.byref(val_loss), c.byref(val_mse)))
        print(f"epoch {epoch}: train {loss.value:.5f}  val {val_loss.value:.5f}  val_mse {val_mse.value:.5f}")
    code_size = size()
    check(lib.gpuae_model_code_size(model, c.byref(code_size)))
    codes = (c.c_float * (args.codes * code_size.value))()
    check(lib.gpuae_model_encode(model, test, args.codes, codes, len(codes)))
finally:
    lib.gpuae_trainer_destroy(trainer)
    lib.gpuae_model_destroy(model)
    lib.gpuae_context_destroy(context)

if args.out:
    write_npy(args.out, codes, args.codes, code_size.value)
    print(f"wrote {args.out} ({args.codes} x {code_size.value})")
if args.expect:
    with open(args.expect, "rb") as f:
        npy = f.read()
    if bytes(codes) != npy[10 + struct.unpack("<H", npy[8:10])[0]:]:
        sys.exit(f"codes differ from {args.expect}")
    print(f"{args.codes} codes equal {args.expect} bit for bit")
