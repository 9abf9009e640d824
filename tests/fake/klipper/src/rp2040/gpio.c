// fake source: rp2040/gpio.c
