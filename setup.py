from configparser import ConfigParser
import setuptools, shlex

# note: all settings are in settings.ini; edit there, not here
config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

cfg_keys = 'version description keywords author author_email'.split()
expected = cfg_keys + "lib_name user branch license status min_python audience language".split()
for o in expected:
    assert o in cfg, "missing expected setting: {}".format(o)
setup_cfg = {o: cfg[o] for o in cfg_keys}

licenses = {'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License')}
statuses = ['0 - Pre-Planning', '1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta',
            '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()

requirements = shlex.split(cfg.get('requirements', ''))
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
# bitsandbytes: 4-/8-bit (QLoRA) sleep, CPU included
quant_requirements = shlex.split(cfg.get('quant_requirements', ''))
ray_requirements = shlex.split(cfg.get('ray_requirements', ''))       # Ray: benchmark sweeps as tasks (--ray)
min_python = cfg['min_python']
lic = licenses[cfg['license']]
extras = {
    'dev': dev_requirements + quant_requirements + ray_requirements,
    'quant': quant_requirements,
    'gpu': quant_requirements,
    'ray': ray_requirements,
}  # dev includes quant and ray: CI tests QLoRA on the CPU and sweeps on a local Ray

setuptools.setup(
    name=cfg['lib_name'],
    license=lic[0],
    classifiers=[
        'Development Status :: ' + statuses[int(cfg['status'])],
        'Intended Audience :: ' + cfg['audience'].title(),
        'Natural Language :: ' + cfg['language'].title(),
    ]
    + ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python) :]]
    + (['License :: ' + lic[1]] if lic[1] else []),
    url=cfg['git_url'],
    packages=setuptools.find_packages(include=['sleeptrain', 'sleeptrain.*']),
    include_package_data=True,
    package_data={'sleeptrain': ['data/*.json', 'data/*.txt']},
    install_requires=requirements,
    extras_require=extras,
    python_requires='>=' + cfg['min_python'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={
        'console_scripts': cfg.get('console_scripts', '').split(),
        'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d'],
    },
    **setup_cfg,
)
