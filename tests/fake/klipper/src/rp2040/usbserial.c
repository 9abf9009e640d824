// fake source: rp2040/usbserial.c
