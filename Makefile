# Two commands set everything up on a fresh Debian machine:
#   make run    install, then process corpus/ into outputs/
#   make test   install, then run the test suite
# `make install` does only the installation (Debian packages through sudo when
# not root, the Python environment in .venv).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := tesseract-ocr tesseract-ocr-rus tesseract-ocr-kaz tesseract-ocr-script-cyrl \
                tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-pol
# `make test` also needs a real browser for the review page's test (Debian's, not a download)
# and the fonts the sample scans are drawn with.
TEST_APT_PACKAGES := chromium chromium-driver fonts-dejavu-core
INPUT  ?= corpus
OUT    ?= outputs

.PHONY: install system-deps test-deps run test corpus kk-profile clean

install: system-deps $(VENV)/.installed

system-deps:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "ok installed" || missing="$$missing $$pkg"; done; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3 python3-venv python3-pip"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dev]'
	@touch $@

run: install
	$(VENV)/bin/testimony run $(INPUT) --out $(OUT)

test-deps:
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(TEST_APT_PACKAGES)"

test: install test-deps
	$(PY) -m pytest

# Regenerate the sample documents and the Kazakh language profile (developers only).
corpus: install
	$(PY) scripts/make_corpus.py --out corpus

kk-profile: install
	$(PY) scripts/build_kk_profile.py ../shared/data/kaznerd --out models/langdetect/kk

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
