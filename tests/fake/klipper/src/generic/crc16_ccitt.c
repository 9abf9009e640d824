// fake source: generic/crc16_ccitt.c
