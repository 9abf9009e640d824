#!/bin/sh
# unit-nvs.sh - an example [unit] command for flashbay: one NVS partition per
# board, made by ESP-IDF's nvs_partition_gen.py from a CSV holding the
# board's serial, MAC and chip, and every extra column of the serials CSV
# (FLASHBAY_<COLUMN>, as a string key named after the column, lower case,
# at most 15 characters), in the namespace "factory".
#
#   [unit]
#   command = /usr/share/doc/flashbay/unit-nvs.sh
#   offset = 0x9000
#   max_size = 24576
#   serials = counter:SN-%06d
#
# The generator: $NVS_PARTITION_GEN (a path to nvs_partition_gen.py), else
# $IDF_PATH/components/nvs_flash/nvs_partition_generator/nvs_partition_gen.py,
# else the pip package esp-idf-nvs-partition-gen (python3 -m
# esp_idf_nvs_partition_gen). The partition size is $UNIT_NVS_SIZE (default
# 0x6000, ESP-IDF's default nvs partition; keep [unit] max_size and the
# partition table in step). Without a generator it fails, saying so on
# stderr: flashbay then fails the board with unit_failed and that message.
set -eu
: "${FLASHBAY_OUT:?run me as a flashbay [unit] command}"
size=${UNIT_NVS_SIZE:-0x6000}
gen=${NVS_PARTITION_GEN:-}
if [ -z "$gen" ] && [ -n "${IDF_PATH:-}" ]; then
	gen=$IDF_PATH/components/nvs_flash/nvs_partition_generator/nvs_partition_gen.py
fi
if [ -n "$gen" ] && [ -f "$gen" ]; then
	set -- python3 "$gen"
elif python3 -c 'import esp_idf_nvs_partition_gen' 2>/dev/null; then
	set -- python3 -m esp_idf_nvs_partition_gen
else
	echo "nvs_partition_gen.py not found: set NVS_PARTITION_GEN or IDF_PATH, or pip install esp-idf-nvs-partition-gen" >&2
	exit 1
fi
csv=$(dirname "$FLASHBAY_OUT")/nvs.csv
# a CSV field: quoted, its quotes doubled
field() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
{
	echo 'key,type,encoding,value'
	echo 'factory,namespace,,'
	printf 'serial,data,string,%s\n' "$(field "$FLASHBAY_SERIAL")"
	printf 'mac,data,string,%s\n' "$(field "$FLASHBAY_MAC")"
	printf 'chip,data,string,%s\n' "$(field "$FLASHBAY_CHIP")"
	env | sed -n 's/^FLASHBAY_\([A-Z0-9_]*\)=.*/\1/p' | sort | while read -r name; do
		case $name in SERIAL | MAC | CHIP | OUT | SLOT | STATION) continue ;; esac
		key=$(printf '%s' "$name" | tr 'A-Z' 'a-z' | cut -c1-15)
		eval "value=\${FLASHBAY_$name}"
		printf '%s,data,string,%s\n' "$key" "$(field "$value")"
	done
} > "$csv"
exec "$@" generate "$csv" "$FLASHBAY_OUT" "$size"
