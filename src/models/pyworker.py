# SPDX-License-Identifier: MIT
# ferry's Python model worker. ferry embeds this file in its binary and runs
# it with `python3 -I -B -c <this> <fd>`; it is not a module to import.
#
# One worker holds one model. It speaks ferry's framing over the socket
# whose number is its argument (native byte order, the parent is on the same
# machine). Every frame is a header "=IIQ" (type, reserved, payload bytes)
# and a payload:
#
#   LOAD     1  u32 config_len, config JSON, the pickled model's bytes
#   READY   16  JSON describing the model
#   PREDICT  2  u32 parts, u32 cols, u64 rows[parts], float64 matrix
#                (the parts' rows one after the other, row-major)
#   RESULT  18  per part: "=B7xQQQ" (kind, rows, cols, bytes), then bytes:
#                kind 'f' float64 values, 'i' int64 class labels,
#                'j' a JSON array (strings, booleans, nested values),
#                'e' an error message for that part
#   ERROR   17  UTF-8 message (the load failed, or the frame was bad)
#
# A batch is scored in one call; if that raises, each part is scored alone
# so that one client's bad rows do not fail the others'. The model is sent
# over the socket, so the worker needs no access to the model's files; the
# parent drops its privileges before exec (see pyproc.c). Loading a pickle
# runs arbitrary code: serve only models you trust.
import json
import os
import pickle
import struct
import sys
import warnings

HEADER = struct.Struct("=IIQ")
PART = struct.Struct("=B7xQQQ")
LOAD, PREDICT, READY, ERROR, RESULT = 1, 2, 16, 17, 18
PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba")


def read_exact(sock, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.readinto(view[got:])
        if not k:
            raise EOFError
        got += k
    return buf


def send(sock, kind, payload):
    sock.write(HEADER.pack(kind, 0, len(payload)))
    sock.write(payload)
    sock.flush()


def describe_error(e):
    text = "%s: %s" % (type(e).__name__, e)
    return text if len(text) <= 2000 else text[:2000] + "..."


def load(payload):
    (config_len,) = struct.unpack_from("=I", payload, 0)
    config = json.loads(bytes(payload[4 : 4 + config_len]).decode("utf-8"))
    blob = bytes(payload[4 + config_len :])
    fmt = config.get("serialization_format") or "cloudpickle"
    if fmt == "cloudpickle":
        try:
            import cloudpickle

            loads = cloudpickle.loads
        except ImportError:
            loads = pickle.loads  # cloudpickle's output is pickle's format
    elif fmt == "pickle":
        loads = pickle.loads
    else:
        raise ValueError("serialization_format '%s' is not supported (pickle, cloudpickle)" % fmt)
    model = loads(blob)
    name = config.get("predict_fn") or "predict"
    if name not in PREDICT_FNS:
        raise ValueError("predict_fn '%s' is not one of %s" % (name, ", ".join(PREDICT_FNS)))
    fn = getattr(model, name, None)
    if not callable(fn):
        raise ValueError("the model (%s) has no %s method" % (type(model).__name__, name))
    info = {"model_class": type(model).__module__ + "." + type(model).__qualname__,
            "predict_fn": name, "python": sys.version.split()[0]}
    features = getattr(model, "n_features_in_", None)
    if isinstance(features, int):
        info["features"] = features
    columns = config.get("columns")
    named = getattr(model, "feature_names_in_", None) is not None
    return fn, info, (columns if named else None)


def as_frame(np, x, columns):
    """A DataFrame with the signature's names when the model was fitted on
    one and pandas is there; the bare matrix otherwise."""
    if columns is None or len(columns) != x.shape[1]:
        return x
    try:
        import pandas
    except ImportError:
        return x
    return pandas.DataFrame(x, columns=columns)


def encode(np, y, start, end):
    """One part's predictions, rows start..end of y."""
    part = y[start:end]
    rows = end - start
    if y.ndim <= 2 and y.dtype.kind == "f":
        data = np.ascontiguousarray(part, dtype=np.float64).tobytes()
        return PART.pack(ord("f"), rows, 1 if y.ndim == 1 else y.shape[1], len(data)) + data
    if y.ndim <= 2 and y.dtype.kind in "iu":
        data = np.ascontiguousarray(part, dtype=np.int64).tobytes()
        return PART.pack(ord("i"), rows, 1 if y.ndim == 1 else y.shape[1], len(data)) + data
    data = json.dumps(part.tolist(), allow_nan=True).encode("utf-8")
    return PART.pack(ord("j"), rows, 1, len(data)) + data


def error_part(message):
    data = message.encode("utf-8", "replace")
    return PART.pack(ord("e"), 0, 0, len(data)) + data


def predict(np, fn, columns, payload):
    parts, cols = struct.unpack_from("=II", payload, 0)
    rows = struct.unpack_from("=%dQ" % parts, payload, 8)
    total = sum(rows)
    x = np.frombuffer(payload, dtype=np.float64, count=total * cols, offset=8 + 8 * parts)
    x = x.reshape(total, cols)
    bounds = []
    start = 0
    for r in rows:
        bounds.append((start, start + r))
        start += r
    out = []
    try:
        y = np.asarray(fn(as_frame(np, x, columns)))
        if y.ndim == 0 or y.shape[0] != total:
            raise ValueError("the model answered %s values for %d rows" % (y.shape, total))
        for s, e in bounds:
            out.append(encode(np, y, s, e))
    except Exception as e:
        if parts == 1:
            return error_part(describe_error(e))
        out = []
        for s, t in bounds:  # find whose rows fail
            try:
                y = np.asarray(fn(as_frame(np, x[s:t], columns)))
                if y.ndim == 0 or y.shape[0] != t - s:
                    raise ValueError("the model answered %s values for %d rows" % (y.shape, t - s))
                out.append(encode(np, y, 0, t - s))
            except Exception as e2:
                out.append(error_part(describe_error(e2)))
    return b"".join(out)


def main():
    fd = int(sys.argv[1])
    sock = os.fdopen(fd, "r+b", buffering=0)
    reader = sock
    writer = os.fdopen(os.dup(fd), "wb", buffering=1 << 16)
    warnings.simplefilter("ignore")  # warnings go nowhere useful; answers matter
    fn = columns = np = None
    while True:
        try:
            kind, _, length = HEADER.unpack(read_exact(reader, HEADER.size))
            payload = read_exact(reader, length)
        except EOFError:
            return 0
        if kind == LOAD and fn is None:
            try:
                import numpy as np

                fn, info, columns = load(payload)
                send(writer, READY, json.dumps(info).encode("utf-8"))
            except Exception as e:
                send(writer, ERROR, describe_error(e).encode("utf-8", "replace"))
                return 1
        elif kind == PREDICT and fn is not None:
            send(writer, RESULT, predict(np, fn, columns, payload))
        else:
            send(writer, ERROR, b"unexpected frame %d" % kind)
            return 1


sys.exit(main())
