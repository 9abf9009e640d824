// fake source: rp2040/watchdog.c
