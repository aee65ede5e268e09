#!/usr/bin/python3
"""Rebuilds a GpuAe model in PyTorch from a checkpoint's metadata alone, and loads its weights with strict=True.

A GpuAe checkpoint (model.safetensors) stores the model spec as JSON in the safetensors metadata ("gpuae.model").
build(spec) turns any spec (every preset, and --model FILE.json specs) into an nn.Module whose state_dict names are
the checkpoint's: layers.N.weight / layers.N.bias, a VAE latent's layers.N.mean.* and layers.N.log_var.*. Layouts are
PyTorch's: nn.Linear [out, in], nn.Conv2d [out, in, kh, kw], nn.ConvTranspose2d [in, out, kh, kw]. Keras 'same'
padding (the odd pixel after) is reproduced with explicit F.pad / cropping, see the README's "PyTorch" section.

  python3 torch_rebuild.py RUN/model.safetensors                  # rebuild + strict load, print the model
  python3 torch_rebuild.py RUN/model.safetensors --encode 64 --codes codes.npy   # MNIST test codes in PyTorch
  python3 torch_rebuild.py --spec spec.json --init-seed 1 --save-state-dict w.safetensors [--sequential]
      # fresh PyTorch weights for `gpuae import --torch w.safetensors --model spec.json`

No safetensors package is needed: the format (u64 header size, JSON header, raw little-endian data) is read and
written here with struct + json.
"""
import argparse
import json
import os
import struct
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# ----------------------------------------------------------------------------- safetensors with struct + json

DTYPES = {"F32": (np.float32, torch.float32), "F64": (np.float64, torch.float64)}


def read_safetensors(path):
    """Returns ({name: float32 torch tensor}, {metadata})."""
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    body = data[8 + size:]
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] not in DTYPES:
            raise SystemExit(f"{path}: tensor '{name}' has dtype {entry['dtype']}, this script reads F32/F64")
        begin, end = entry["data_offsets"]
        array = np.frombuffer(body[begin:end], dtype=np.dtype(DTYPES[entry["dtype"]][0]).newbyteorder("<"))
        tensors[name] = torch.from_numpy(array.astype(np.float32).reshape(entry["shape"]).copy())
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes float32 tensors in name order (as safetensors.torch.save_file does), header padded to 8 bytes."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        array = tensors[name].detach().cpu().contiguous().numpy().astype("<f4")
        raw = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))

# ----------------------------------------------------------------------------- the layers, with GpuAe's conventions


def same_pad(size, window, stride, padding):
    """Keras/TensorFlow padding (before, after) along one axis (GpuAe PaddingMath.Amount): 'valid' none, 'same'
    output ceil(size / stride) with the odd pixel after."""
    if padding == "valid":
        return 0, 0
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def axes(layer, key, default):
    """(height, width) of an option with an optional _w twin (GpuAe's spec: the _w value defaults to the height's)."""
    value = layer.get(key, default)
    return value, layer.get(key + "_w", value)


ACTIVATIONS = {
    "linear": nn.Identity, "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.01), "elu": nn.ELU,
    "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softplus": nn.Softplus,
}


class Pad(nn.Module):
    """Asymmetric padding (Keras 'same'); value -inf for max-pooling, where padding must never win."""
    def __init__(self, top, bottom, left, right, value=0.0):
        super().__init__()
        self.pads, self.value = (left, right, top, bottom), value

    def forward(self, x):
        return F.pad(x, self.pads, value=self.value) if any(self.pads) else x


class Crop(nn.Module):
    """Keeps rows [top, top + height) and columns [left, left + width): a transposed conv's Keras 'same' output."""
    def __init__(self, top, left, height, width):
        super().__init__()
        self.box = (top, left, height, width)

    def forward(self, x):
        top, left, h, w = self.box
        return x[:, :, top:top + h, left:left + w]


class Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


class VaeLatent(nn.Module):
    """The Gaussian latent: mean and log-variance heads (nn.Linear each). At inference z is the mean."""
    def __init__(self, inputs, units):
        super().__init__()
        self.mean = nn.Linear(inputs, units)
        self.log_var = nn.Linear(inputs, units)

    def forward(self, x):
        return self.mean(x)


def make_layer(layer, shape):
    """(module with the checkpoint's parameter names, parameterless modules around it, output shape) for one spec layer.
    The parameterised module is layers[i] itself, so its state_dict keys are layers.i.weight / layers.i.bias."""
    kind = layer["type"]
    act = ACTIVATIONS[layer.get("activation", "linear")]()
    if kind == "dense":
        return nn.Linear(shape[0], layer["units"]), [], [act], [layer["units"]]
    if kind in ("conv2d", "conv2d_transpose"):
        c, h, w = shape
        padding = layer.get("padding", "same")
        (kh, kw), (sh, sw), (dh, dw) = axes(layer, "kernel", 1), axes(layer, "stride", 1), axes(layer, "dilation", 1)
        if padding == "explicit":   # PyTorch's integer padding: the modules compute exactly what the spec says
            ph, pw = axes(layer, "pad", 0)
            if kind == "conv2d":
                oh, ow = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
                return nn.Conv2d(c, layer["filters"], (kh, kw), (sh, sw), (ph, pw), (dh, dw)), [], [act], [layer["filters"], oh, ow]
            oph, opw = axes(layer, "output_padding", 0)
            oh, ow = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1, (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
            conv = nn.ConvTranspose2d(c, layer["filters"], (kh, kw), (sh, sw), (ph, pw), (oph, opw), dilation=(dh, dw))
            return conv, [], [act], [layer["filters"], oh, ow]
        if (kh, sh, dh) != (kw, sw, dw) or dh != 1:
            raise SystemExit(f"a Keras-padded {kind} with a rectangular kernel/stride or dilation is not known to this script yet")
        k, s = kh, sh
        if kind == "conv2d":
            (top, bottom), (left, right) = same_pad(h, k, s, padding), same_pad(w, k, s, padding)
            oh, ow = (h + top + bottom - k) // s + 1, (w + left + right - k) // s + 1
            return nn.Conv2d(c, layer["filters"], k, stride=s), [Pad(top, bottom, left, right)], [act], [layer["filters"], oh, ow]
        # transposed: the adjoint of the 'same'/'valid' conv over the output (GpuAe Conv2DTransposeLayer)
        oh = h * s + (max(k - s, 0) if padding == "valid" else 0)
        ow = w * s + (max(k - s, 0) if padding == "valid" else 0)
        top, left = same_pad(oh, k, s, padding)[0], same_pad(ow, k, s, padding)[0]
        extra_h, extra_w = max(oh + top - ((h - 1) * s + k), 0), max(ow + left - ((w - 1) * s + k), 0)
        conv = nn.ConvTranspose2d(c, layer["filters"], k, stride=s, output_padding=(extra_h, extra_w))
        return conv, [], [Crop(top, left, oh, ow), act], [layer["filters"], oh, ow]
    if kind in ("maxpool2d", "avgpool2d"):
        c, h, w = shape
        size = (layer.get("size", 2), layer.get("size_w", layer.get("size", 2)))
        stride = (layer.get("stride") or size[0], layer.get("stride_w") or layer.get("stride") or size[1])
        padding = layer.get("padding", "same" if kind == "maxpool2d" else "valid")
        ceil = bool(layer.get("ceil_mode", False))
        if padding == "explicit":
            pad = axes(layer, "pad", 0)
            include = layer.get("count_include_pad", True)
            pool = (nn.MaxPool2d(size, stride, pad, ceil_mode=ceil) if kind == "maxpool2d"
                    else nn.AvgPool2d(size, stride, pad, ceil_mode=ceil, count_include_pad=include))
            out = pool(torch.zeros(1, c, h, w)).shape
            return pool, [], [], [c, out[2], out[3]]
        (top, bottom), (left, right) = same_pad(h, size[0], stride[0], padding), same_pad(w, size[1], stride[1], padding)
        oh, ow = (h + top + bottom - size[0]) // stride[0] + 1, (w + left + right - size[1]) // stride[1] + 1
        if kind == "maxpool2d":
            return nn.MaxPool2d(size, stride), [Pad(top, bottom, left, right, float("-inf"))], [], [c, oh, ow]
        if layer.get("count_include_pad", False) or any((top, bottom, left, right)):
            raise SystemExit("a Keras-padded avgpool2d with padding is not known to this script yet")
        return nn.AvgPool2d(size, stride), [], [], [c, oh, ow]
    if kind == "upsample2d":
        c, h, w = shape
        scale = (layer.get("scale", 2), layer.get("scale_w", layer.get("scale", 2)))
        if layer.get("mode", "nearest") == "bilinear":
            up = nn.Upsample(scale_factor=scale, mode="bilinear", align_corners=bool(layer.get("align_corners", False)))
        else:
            up = nn.Upsample(scale_factor=scale, mode="nearest")
        return up, [], [], [c, h * scale[0], w * scale[1]]
    if kind == "activation":
        name = layer["activation"]
        module = {"leaky_relu": lambda: nn.LeakyReLU(layer.get("negative_slope", 0.01)),
                  "elu": lambda: nn.ELU(layer.get("alpha", 1.0)),
                  "softplus": lambda: nn.Softplus(layer.get("beta", 1.0), layer.get("threshold", 20.0))}.get(name, ACTIVATIONS[name])()
        return module, [], [], list(shape)
    if kind == "flatten":
        return nn.Flatten(), [], [], [int(np.prod(shape))]
    if kind == "reshape":
        return Reshape(layer["shape"]), [], [], list(layer["shape"])
    if kind == "vae_latent":
        return VaeLatent(shape[0], layer["units"]), [], [], [layer["units"]]
    raise SystemExit(f"layer type '{kind}' is not known to this script yet")


class GpuAeModel(nn.Module):
    """A GpuAe spec as a PyTorch module: layers[i] is spec layer i, so state_dict() has the checkpoint's names."""
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.input_shape = list(spec["input_shape"])
        self.code_layer = spec["code_layer"]
        shape, layers, before, after = self.input_shape, [], [], []
        for layer in spec["layers"]:
            module, pre, post, shape = make_layer(layer, shape)
            layers.append(module)
            before.append(nn.Sequential(*pre))
            after.append(nn.Sequential(*post))
        self.layers = nn.ModuleList(layers)
        # parameterless, so they add no state_dict keys
        self.before, self.after = nn.ModuleList(before), nn.ModuleList(after)

    def _run(self, x, first, last):
        for i in range(first, last):
            x = self.after[i](self.layers[i](self.before[i](x)))
        return x

    def encode(self, x):
        """The code; a VAE's (mean, log_var)."""
        h = self._run(x, 0, self.code_layer)
        latent = self.layers[self.code_layer]
        if isinstance(latent, VaeLatent):
            return latent.mean(h), latent.log_var(h)
        return self.after[self.code_layer](latent(self.before[self.code_layer](h)))

    def decode(self, code):
        y = self._run(code, self.code_layer + 1, len(self.layers))
        return y.reshape(y.shape[0], *self.input_shape)

    def forward(self, x):
        code = self.encode(x)
        return self.decode(code[0] if isinstance(code, tuple) else code)

    def sequential(self):
        """The same network as one nn.Sequential (not for VAEs): its state_dict has keys K.weight / K.bias, the form
        `gpuae import --torch` matches by module order."""
        if any(isinstance(m, VaeLatent) for m in self.layers):
            raise SystemExit("a VAE's two heads do not fit an nn.Sequential; use the GpuAe names (the default)")
        modules = []
        for pre, layer, post in zip(self.before, self.layers, self.after):
            modules += list(pre) + [layer] + list(post)
        modules.append(Reshape(self.input_shape))
        return nn.Sequential(*modules)


def build(spec):
    return GpuAeModel(spec)


def load_checkpoint(path):
    """(model with the checkpoint's weights, loaded with strict=True, metadata). Only the metadata's spec is used to build
    the model; optimizer.* tensors (Adam/RMSprop moments) are not module parameters and are left out."""
    tensors, metadata = read_safetensors(path)
    if "gpuae.model" not in metadata:
        raise SystemExit(f"{path}: no 'gpuae.model' in the metadata: not a GpuAe checkpoint")
    model = build(json.loads(metadata["gpuae.model"]))
    weights = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
    model.load_state_dict(weights, strict=True)
    return model.eval(), metadata


def mnist_test_images(count, directory=None):
    directory = directory or os.environ.get("GPUAE_DATA_DIR") or os.path.expanduser("~/.cache/gpuae/mnist")
    with open(os.path.join(directory, "t10k-images-idx3-ubyte"), "rb") as f:
        data = f.read()
    n, h, w = struct.unpack(">III", data[4:16])
    images = np.frombuffer(data[16:], dtype=np.uint8).reshape(n, 1, h, w)[:count]
    return torch.from_numpy(images.astype(np.float32) / 255.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", nargs="?", help="a GpuAe model.safetensors: rebuild from its metadata, strict load")
    parser.add_argument("--spec", help="build from a model spec JSON instead (`gpuae presets --json NAME`), PyTorch's init")
    parser.add_argument("--init-seed", type=int, default=1, help="torch.manual_seed for --spec's fresh weights")
    parser.add_argument("--save-state-dict", help="write the model's state_dict as safetensors (for gpuae import --torch)")
    parser.add_argument("--sequential", action="store_true", help="with --save-state-dict: nn.Sequential names (K.weight)")
    parser.add_argument("--encode", type=int, default=0, help="encode the first N MNIST test images")
    parser.add_argument("--codes", help="with --encode: write the codes (a VAE's means) as .npy [N, code size]")
    parser.add_argument("--mnist", help="MNIST folder (default $GPUAE_DATA_DIR or ~/.cache/gpuae/mnist)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    if args.spec:
        torch.manual_seed(args.init_seed)
        with open(args.spec) as f:
            model = build(json.load(f)).eval()
        # PyTorch's default init leaves biases small but nonzero; keep them so an import that dropped them shows
    elif args.checkpoint:
        model, metadata = load_checkpoint(args.checkpoint)
        print(f"{args.checkpoint}: rebuilt {metadata.get('gpuae.model', '')[:60]}... and loaded with strict=True")
    else:
        parser.error("give a checkpoint or --spec")
    print(model)

    if args.save_state_dict:
        state = (model.sequential() if args.sequential else model).state_dict()
        write_safetensors(args.save_state_dict, state)
        print(f"wrote {args.save_state_dict} ({len(state)} tensors: {', '.join(sorted(state))})")
    if args.encode:
        with torch.no_grad():
            code = model.encode(mnist_test_images(args.encode, args.mnist))
        code = code[0] if isinstance(code, tuple) else code
        code = code.reshape(code.shape[0], -1).numpy().astype(np.float32)
        if args.codes:
            np.save(args.codes, code)
        print(f"encoded {code.shape[0]} MNIST test images: codes {list(code.shape)}, mean {code.mean():.6f}")


if __name__ == "__main__":
    sys.exit(main())
