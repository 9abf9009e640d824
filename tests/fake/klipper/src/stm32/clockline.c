// fake source: stm32/clockline.c
