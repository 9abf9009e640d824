// fake source: avr/serial.c
