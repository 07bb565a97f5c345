// SPDX-License-Identifier: MIT
// The prediction log's row encoding (src/domain/prediction.h), for tests
// that log predictions through predictions/log as a gateway does: the
// inputs and outputs blobs, and request ids as UUIDv7 of a time.
function varint(n) {
  const out = [];
  for (;;) {
    const b = n % 128;
    n = Math.floor(n / 128);
    if (n) out.push(b | 0x80);
    else { out.push(b); return out; }
  }
}
function enc(v) {
  if (v === null) return [0];
  if (Number.isInteger(v)) return [1, ...varint(2 * v)]; // zigzag of a non-negative
  if (typeof v === "number") {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return [3, ...b];
  }
  const b = Buffer.from(v);
  return [4, ...varint(b.length), ...b];
}
const b64 = (bytes) => Buffer.from(bytes).toString("base64");
export const inputsBlob = (vals) => b64([...varint(vals.length), ...vals.flatMap(enc)]);
export const outputsBlob = (pred, proba) => b64([...enc(pred), ...varint(proba.length), ...proba.flatMap((p) => enc(p))]);
export const uuid7 = (ms, n) => {
  const h = ms.toString(16).padStart(12, "0") + "7" + "000" + "8" + n.toString(16).padStart(15, "0");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};
