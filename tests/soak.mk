# Soak (tests/soak/soak.sh): a long sim run of notewelld on the sanitizer
# build - many sessions of audio at fast pace, badges typed through the sim
# scanner FIFO, the host stopped and started again and again - checking
# nothing is lost, no leak or sanitizer report, and flat memory.
#
#   make soak                  the long one: SOAK_HOURS of audio (default 8),
#                              SOAK_SCANS badges (3000), SOAK_OUTAGES (6)
#   stage "soak" in make test  the short one: 4 minutes of audio, 80 badges,
#                              2 outages, well under a minute
# Both use the build the san stage makes ($(SAN_O), tests/san.mk).

SOAK_HOURS   ?= 8
SOAK_SCANS   ?= 3000
SOAK_OUTAGES ?= 6
SOAK_STEPS   ?= 32

TEST_STAGES += soak
.PHONY: soak soak-build soak-tap

soak-build: san-build

soak-tap:
	@O=$(SAN_O) SOAK_AUDIO_S=240 SOAK_SCANS=80 SOAK_OUTAGES=2 SOAK_STEPS=8 sh tests/soak/soak.sh

soak: san-build
	@O=$(SAN_O) SOAK_HOURS=$(SOAK_HOURS) SOAK_SCANS=$(SOAK_SCANS) SOAK_OUTAGES=$(SOAK_OUTAGES) \
	    SOAK_STEPS=$(SOAK_STEPS) sh tests/soak/soak.sh
