// fake source: stm32/usbotg.c
