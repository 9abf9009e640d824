// fake source: generic/armcm_irq.c
