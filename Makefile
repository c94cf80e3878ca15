# Two commands are all a newcomer needs:  make run   and   make test
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test test-deps bench bench-quick clean i18n i18n-init

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

## make run: the service on the embedded default (SQLite), with the sample registries loaded.
## Without TELEGRAM_BOT_TOKEN it talks through the console channel (messages printed here).
## The sample chat ids are placeholders: link your real chats with `dondoc invite` or `dondoc link`.
run: $(BIN)/.installed
	$(BIN)/dondoc db upgrade
	$(BIN)/dondoc import examples/5099-UBND-HCC.yaml
	$(BIN)/dondoc import examples/337-QD-UBND.csv --agencies examples/agencies-nam-dinh.yaml --document 337/QĐ-UBND --issued 2012-03-02 --issuer "UBND tỉnh Nam Định" --subject "Kế hoạch cải cách hành chính nhà nước tỉnh Nam Định giai đoạn 2011-2015"
	$(BIN)/dondoc link "Sở Nội vụ" -1001 --role focal
	$(BIN)/dondoc link "Sở Nội vụ" -1002 --role manager
	$(BIN)/dondoc link "Sở Nội vụ" -1003 --role oversight
	$(BIN)/dondoc link "Văn phòng UBND tỉnh" -1004 --role leadership
	$(BIN)/dondoc link "Sở Tài chính" 1005 --role focal
	$(BIN)/dondoc tasks --agency "Sở Nội vụ"
	@if $(BIN)/dondoc --help | grep -q ' run '; then $(BIN)/dondoc run; fi

## make test: the floor plan (lint-imports: every import runs down, docs/architecture.md), then the whole test
## suite (PostgreSQL tests start a local server when one can be started). It first says which Debian packages
## the browser and calendar tests need and are missing (.ci/test-deps; `make test-deps` installs them).
test: $(BIN)/.installed
	@.ci/test-deps check
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

## make test-deps: install what the tests need from Debian (chromium, DejaVu fonts, libical's Python bindings),
## the same list .ci/run installs in CI.
test-deps:
	.ci/test-deps install

bench: $(BIN)/.installed
	$(BIN)/python -m bench

bench-quick: $(BIN)/.installed
	$(BIN)/python -m bench --quick

## make i18n: collect every text marked with _()/ngettext()/N_() into the catalogs and compile them.
## A translator then fills in the new msgstr entries of core/locale/<lang>/LC_MESSAGES/dondoc.po.
POT = core/locale/dondoc.pot
i18n: $(BIN)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output --no-wrap --omit-header \
		--ignore-dirs='.* _* tests bench build dist data' -o $(POT) .
	$(BIN)/pybabel -q update -i $(POT) -d core/locale -D dondoc --no-fuzzy-matching --ignore-obsolete \
		--ignore-pot-creation-date --no-wrap
	$(BIN)/pybabel compile -d core/locale -D dondoc --statistics

## make i18n-init LANG=xx: start the catalog of a new language (then translate it and run make i18n).
i18n-init: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --no-wrap --omit-header \
		--ignore-dirs='.* _* tests bench build dist data' -o $(POT) .
	$(BIN)/pybabel init -i $(POT) -d core/locale -D dondoc -l $(LANG) --no-wrap

clean:
	rm -rf $(VENV) data .pytest_cache
