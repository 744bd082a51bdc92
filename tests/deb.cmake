# The Debian package (issue 15): build it from this tree, lintian, install,
# start, scan, remove and purge in a throwaway root (tests/deb_install_test.sh).
# It needs root, dpkg-dev, lintian and systemd-analyze (scripts/install-deps.sh).
if(TARGET rampart AND TARGET rampartd)
  add_test(NAME deb_install_test COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/deb_install_test.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(deb_install_test PROPERTIES LABELS e2e TIMEOUT 300)
endif()
