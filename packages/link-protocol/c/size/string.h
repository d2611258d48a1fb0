/* For `make size-arm` with a bare arm-none-eabi-gcc (no newlib installed): the only libc
 * functions the core calls, declared. Every libc has them; they are not counted in the size. */
#ifndef LP_SIZE_STRING_H
#define LP_SIZE_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
char *strcpy(char *dst, const char *src);
#endif
