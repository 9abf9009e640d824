// fake source: linux/timer.c
