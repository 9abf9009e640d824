// fake source: stm32/watchdog.c
