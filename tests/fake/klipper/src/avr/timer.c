// fake source: avr/timer.c
