// fake source: avr/main.c
