# Install rules: `cmake --install BUILD [--prefix /usr/local]` puts the two
# programs, the documented default configuration, the systemd unit and the man
# pages in their FHS places. scripts/build-deb.sh uses the same rules with
# `--prefix /usr` to make the Debian package, so both paths stay one.
include(GNUInstallDirs)

if(TARGET rampartd)
  install(TARGETS rampartd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
endif()
if(TARGET rampart)
  install(TARGETS rampart RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES ${PROJECT_SOURCE_DIR}/docs/man/rampart.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/docs/man/rampart.toml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${PROJECT_SOURCE_DIR}/docs/man/rampartd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/rampartd/postfix-main.cf ${PROJECT_SOURCE_DIR}/deploy/rampartd/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The configuration directory and the unit's paths depend on the prefix given
# at install time (`--prefix`), so they are worked out then: prefix /usr puts
# the configuration in /etc and the unit in /lib/systemd/system (Debian 12),
# any other prefix keeps both under it.
set(_rampart_install_code [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(_rampart_etc "/etc/rampart")
    set(_rampart_unit_dir "/lib/systemd/system")
  else()
    set(_rampart_etc "${CMAKE_INSTALL_PREFIX}/etc/rampart")
    set(_rampart_unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  endif()
  set(RAMPART_SBINDIR "${CMAKE_INSTALL_PREFIX}/@SBINDIR@")
  set(RAMPART_ETC_DIR "${_rampart_etc}")
  configure_file("@SRC@/deploy/rampartd/rampartd.service.in" "@BIN@/deploy/rampartd.service" @ONLY)
  file(INSTALL DESTINATION "${_rampart_etc}" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES "@SRC@/deploy/rampartd/rampart.toml")
  file(INSTALL DESTINATION "${_rampart_unit_dir}" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES "@BIN@/deploy/rampartd.service")
]])
string(REPLACE "@SRC@" "${PROJECT_SOURCE_DIR}" _rampart_install_code "${_rampart_install_code}")
string(REPLACE "@BIN@" "${PROJECT_BINARY_DIR}" _rampart_install_code "${_rampart_install_code}")
string(REPLACE "@SBINDIR@" "${CMAKE_INSTALL_SBINDIR}" _rampart_install_code "${_rampart_install_code}")
install(CODE "${_rampart_install_code}")
