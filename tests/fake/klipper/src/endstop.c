// fake source: endstop.c
