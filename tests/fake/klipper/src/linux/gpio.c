// fake source: linux/gpio.c
