# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO_ESTATES ?= 300
DEMO_SEED ?= 2011
# pytest-xdist processes for `make test` (auto = one per CPU core).
PYTEST_WORKERS ?= auto
PYTEST_FLAGS ?= -q
# The embedded default: SQLite in the project folder, no broker, mail to the console.
export EMBEDDED ?= 1
export DEBUG ?= 1
export PORT

# Debian packages the Chinese PDFs need: the Noto CJK fonts and WeasyPrint's Pango/HarfBuzz.
SYSTEM_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

.PHONY: run test venv deps dev-deps demo worker beat reminders fonts system-packages vendor lint ci messages clean

$(VENV)/bin/activate:
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed: apt-get install python3 python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "Creating the virtualenv failed: apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.deps $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

## make fonts: install $(SYSTEM_PACKAGES) if missing (as root or with passwordless sudo; otherwise says what to run)
fonts system-packages:
	@command -v dpkg-query >/dev/null || { echo "Not Debian/Ubuntu: Chinese PDFs need Noto Sans CJK SC and Pango."; exit 0; }; \
	missing=""; \
	for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	[ -n "$$missing" ] || exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "WARNING: Chinese PDFs need:$$missing -- run: sudo apt-get install$$missing"; exit 0; fi; \
	echo "Installing$$missing"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing \
	  || echo "WARNING: could not install$$missing; Chinese PDFs will not render"

## make run: set up the embedded portal with demo data and serve it on http://127.0.0.1:$(PORT)
run: deps fonts
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_demo --estates $(DEMO_ESTATES) --seed $(DEMO_SEED)
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## make test: the whole pytest suite on SQLite, without Redis (the integration tests need both: .ci/run)
test: dev-deps fonts
	EMBEDDED=1 DEBUG=0 DATABASE_URL= REDIS_URL= $(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_FLAGS) -m "not integration" $(PYTEST_ARGS)

## make reminders: run today's reminder sweep once, without Redis
reminders: deps
	$(PY) manage.py send_reminders

worker: deps
	$(VENV)/bin/celery -A config worker -l info

beat: deps
	$(VENV)/bin/celery -A config beat -l info

## make messages: refresh the English catalogue (locale/en) from the code, then compile it (needs GNU gettext).
## New strings come out with an empty msgstr: translate them, run `make messages` again, commit the .po and the .mo.
messages: deps
	$(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=static/vendor --ignore=node_modules \
	  --ignore=media --ignore=staticfiles
	$(PY) manage.py compilemessages -l en --ignore=.venv

lint: dev-deps
	$(PY) -m ruff check .

## make ci: everything CI checks (PostgreSQL, Redis, Docker Compose file, production processes); see .ci/run
ci:
	.ci/run

## make vendor: refresh static/vendor from the npm registry (versions pinned in package.json)
vendor:
	npm install --no-save --no-audit --no-fund
	mkdir -p static/vendor/bootstrap/css static/vendor/bootstrap/js static/vendor/bootstrap-icons/fonts static/vendor/chart.js \
	  static/vendor/axe-core static/vendor/altcha/workers
	cp node_modules/bootstrap/dist/css/bootstrap.min.css* static/vendor/bootstrap/css/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* static/vendor/bootstrap/js/
	cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css static/vendor/bootstrap-icons/
	cp node_modules/bootstrap-icons/font/fonts/* static/vendor/bootstrap-icons/fonts/
	cp node_modules/chart.js/dist/chart.umd.min.js* static/vendor/chart.js/
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE static/vendor/axe-core/
	# ALTCHA's "external" build: no inline workers (the CSP allows scripts from our origin only); .js names for nosniff
	cp node_modules/altcha/dist/external/altcha.umd.min.cjs static/vendor/altcha/altcha.umd.min.js
	cp node_modules/altcha/dist/i18n/zh-cn.umd.cjs static/vendor/altcha/zh-cn.umd.js
	cp node_modules/altcha/dist/workers/pbkdf2.js static/vendor/altcha/workers/
	cp node_modules/altcha/LICENSE.txt static/vendor/altcha/

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* media staticfiles
