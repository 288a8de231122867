# The two commands that matter: `make run` and `make test` (see README.md).
.PHONY: run test setup demo lint format bench messages clean

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

setup:
	bash scripts/provision_system.sh && bash scripts/bootstrap.sh

demo:
	.venv/bin/python manage.py seed_demo

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench:
	for b in bench/*.py; do .venv/bin/python $$b; done

messages:
	.venv/bin/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=frontend --ignore=static && \
	.venv/bin/python manage.py compilemessages -l zh_Hans -l en --ignore=.venv

clean:
	rm -rf .venv static/vendor staticfiles var
