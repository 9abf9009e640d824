// fake source: stm32/stm32h7.c
