// fake source: stepper.c
