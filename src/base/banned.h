/* SPDX-License-Identifier: MIT
 * Functions that are easy to misuse; including this header makes using them a
 * compile error (git's banned.h). Every .c file under src/ includes it last. */
#ifndef FERRY_BASE_BANNED_H
#define FERRY_BASE_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_ferry

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)
#undef atoi
#define atoi(x) BANNED(atoi)

#endif
