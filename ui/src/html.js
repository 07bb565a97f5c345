// SPDX-License-Identifier: MIT
// htm bound to preact: JSX-like templates with no build step of their own.
import { h } from "preact";
import htm from "htm";
export const html = htm.bind(h);
