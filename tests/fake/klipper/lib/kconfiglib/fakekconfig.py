# Shared by the fake kconfiglib tools (olddefconfig, genconfig, menuconfig) of
# flashbay's fake Klipper tree. Configurations are text: a "complete" one is
# kept as it is; a seed (a few CONFIG_MACH_* lines) is expanded from the real
# Klipper configs in templates/; no processor at all gives Klipper's AVR
# default, exactly what the real olddefconfig writes.
import os
import re

TREE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def template(name):
	with open(os.path.join(TREE, "templates", name + ".config")) as f:
		return f.read()


def values(text):
	"""CONFIG_NAME -> value (strings without quotes, "n" for 'is not set')."""
	out = {}
	for line in text.splitlines():
		m = re.match(r"^CONFIG_([A-Za-z0-9_]+)=(.*)$", line)
		if m:
			v = m.group(2)
			out[m.group(1)] = v[1:-1] if v.startswith('"') and v.endswith('"') else v
			continue
		m = re.match(r"^# CONFIG_([A-Za-z0-9_]+) is not set$", line)
		if m:
			out[m.group(1)] = "n"
	return out


def complete(text):
	v = values(text)
	return "BOARD_DIRECTORY" in v and ("MCU" in v or v.get("MACH_LINUX") == "y")


def set_bool(text, name, on):
	"""Turn a bool symbol on or off in a complete config."""
	on_line, off_line = "CONFIG_%s=y" % name, "# CONFIG_%s is not set" % name
	lines = text.split("\n")
	for i, line in enumerate(lines):
		if line in (on_line, off_line):
			lines[i] = on_line if on else off_line
			return "\n".join(lines)
	return on_line + "\n" + text if on else text


def stm32_from_template(model):
	"""A config for another STM32 part, made from the H723 one."""
	t = template("stm32h723")
	t = t.replace("STM32H723", "STM32" + model.upper()).replace("stm32h723", "stm32" + model.lower())
	return t


def expand(text):
	"""What olddefconfig would write for text (None: no file)."""
	if text is not None and complete(text):
		return text
	v = values(text or "")
	if v.get("MACH_LINUX") == "y":
		return template("linux")
	if v.get("MACH_RP2040") == "y" or v.get("MACH_RPXXXX") == "y":
		if v.get("RPXXXX_FLASH_START_0100") == "y":
			return template("rp2040-nobootloader")
		return template("rp2040")
	if v.get("MACH_STM32") == "y":
		for name, val in v.items():
			m = re.match(r"^MACH_STM32([FGHL][0-9A-Z]+)$", name)
			if m and val == "y":
				out = stm32_from_template(m.group(1))
				break
		else:
			out = template("stm32h723")
		return set_bool(out, "LOW_LEVEL_OPTIONS", v.get("LOW_LEVEL_OPTIONS") == "y")
	return template("avr-default")


def read(path):
	try:
		with open(path) as f:
			return f.read()
	except FileNotFoundError:
		return None


def write(path, text):
	"""Write like kconfiglib: path.old keeps the previous file. Returns the message."""
	old = read(path)
	if old == text:
		return "No change to configuration in '%s'" % path
	if old is not None:
		os.replace(path, path + ".old")
	tmp = path + ".tmp%d" % os.getpid()
	with open(tmp, "w") as f:
		f.write(text)
	os.replace(tmp, path)
	return "Configuration saved to '%s'" % path


def config_path():
	return os.environ.get("KCONFIG_CONFIG", ".config")
