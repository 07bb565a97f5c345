/* SPDX-License-Identifier: MIT
 * Removing a directory tree without a shell. */
#ifndef FERRY_BASE_FS_TREE_H
#define FERRY_BASE_FS_TREE_H

/* Removes path and everything below it, not following symbolic links (a
 * link is removed, never what it points at). Best effort: keeps going past
 * entries it cannot remove; 0 when path is gone afterwards (or never was),
 * -1 otherwise. */
int fs_remove_tree(const char *path);

#endif
