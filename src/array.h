/* array.h - ARRAY_SIZE(), the number of elements of an array (not a pointer). */
#ifndef FLASHBAY_ARRAY_H
#define FLASHBAY_ARRAY_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
